package memtrack

const sysUserfaultfd = 323
