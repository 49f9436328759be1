package memtrack

const sysUserfaultfd = 282
