package engine

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"io"
	"math"
	"runtime"
	"time"
)

// WASIConfig configures the WASI preview 1 functions of an instance. The
// zero value is usable: output discarded, real clocks, cryptographic
// randomness, sleeps that return at once (Nanosleep).
//
// Clocks and randomness are the host's to choose so that a journal can
// record and replay them; the functions are called on the goroutine running
// the guest.
type WASIConfig struct {
	// Stdout and Stderr receive the guest's writes to descriptors 1 and 2;
	// nil discards them. A write error is EIO for the guest.
	Stdout, Stderr io.Writer
	// Walltime returns the real-time clock (clock id 0); nil means time.Now.
	Walltime func() (sec int64, nsec int32)
	// Nanotime returns the monotonic clock (clock id 1) in nanoseconds; nil
	// means the time since the process started. A guest restored from a
	// snapshot needs a clock that continues from the snapshot's value (a Go
	// guest's runtime aborts if its monotonic clock goes back).
	Nanotime func() int64
	// Nanosleep is called by poll_oneoff with the shortest timeout of its
	// clock subscriptions (absolute ones made relative with the clock
	// above), after the events are written, when it is positive and the
	// poll has no descriptor subscription (those are ready at once). It is
	// the host's sleep: it may return early (the call was interrupted: the
	// guest's next check stops it) and need not sleep at all (a replay).
	// nil returns at once: the guest spins on its clock instead.
	Nanosleep func(ns int64)
	// Random fills random_get's buffers; nil means crypto/rand.
	Random io.Reader
}

// Errno is a WASI preview 1 error number.
type Errno uint16

// The WASI errnos this implementation returns.
const (
	ErrnoSuccess    Errno = 0
	ErrnoBadf       Errno = 8
	ErrnoFault      Errno = 21
	ErrnoInval      Errno = 28
	ErrnoIO         Errno = 29
	ErrnoNosys      Errno = 52
	ErrnoNotdir     Errno = 54
	ErrnoNotsock    Errno = 57
	ErrnoNotsup     Errno = 58
	ErrnoNotcapable Errno = 76
)

// WASI constants (wasi_snapshot_preview1.witx).
const (
	clockRealtime  = 0
	clockMonotonic = 1

	filetypeBlockDevice = 1

	fdflagDsync    = 1 << 1
	fdflagNonblock = 1 << 2
	fdflagRsync    = 1 << 3
	fdflagSync     = 1 << 4

	eventClock   = 0
	eventFdRead  = 1
	eventFdWrite = 2

	subclockAbstime = 1

	// The rights wazero gives its standard descriptors (fileRightsBase):
	// datasync, read, seek, fdstat_set_flags, sync, tell, write, advise,
	// allocate, filestat_get, filestat_set_size, filestat_set_times and
	// poll_fd_readwrite.
	stdioRights = 1<<0 | 1<<1 | 1<<2 | 1<<3 | 1<<4 | 1<<5 | 1<<6 | 1<<7 | 1<<8 | 1<<21 | 1<<22 | 1<<23 | 1<<27
)

var processStart = time.Now()

// wasiState is the WASI state of one instance: its configuration and which
// standard descriptors the guest closed. There are no arguments, no
// environment, no preopened directories and no sockets (docs/ABI.md).
type wasiState struct {
	cfg    WASIConfig
	closed [3]bool
}

func newWASIState(cfg WASIConfig) *wasiState {
	if cfg.Walltime == nil {
		cfg.Walltime = func() (int64, int32) {
			t := time.Now()
			return t.Unix(), int32(t.Nanosecond())
		}
	}
	if cfg.Nanotime == nil {
		cfg.Nanotime = func() int64 { return int64(time.Since(processStart)) }
	}
	if cfg.Random == nil {
		cfg.Random = rand.Reader
	}
	return &wasiState{cfg: cfg}
}

// open reports whether fd is an open descriptor (one of the three standard
// ones not closed by the guest).
func (w *wasiState) open(fd uint64) bool {
	return uint32(fd) < 3 && !w.closed[uint32(fd)]
}

// fdErr is the answer of an operation a standard descriptor does not
// support: EBADF for a descriptor that is not open, else errno.
func (w *wasiState) fdErr(fd uint64, errno Errno) Errno {
	if !w.open(fd) {
		return ErrnoBadf
	}
	return errno
}

type wasiImpl func(w *wasiState, m Memory, s []uint64) Errno

type wasiFunc struct {
	name            string
	params, results []ValueType
	impl            wasiImpl
}

var (
	wasiByName map[string]*wasiFunc
	wasiFuncs  []wasiFunc
)

func init() {
	i32, i64 := I32, I64
	p := func(ts ...ValueType) []ValueType { return ts }
	errno := p(i32)
	// fdOnly answers the functions whose first parameter is a descriptor
	// and that the standard descriptors do not support.
	fdOnly := func(e Errno) wasiImpl {
		return func(w *wasiState, _ Memory, s []uint64) Errno { return w.fdErr(s[0], e) }
	}
	// Paths: no descriptor is a directory.
	path := fdOnly(ErrnoNotdir)
	sock := fdOnly(ErrnoNotsock)
	wasiFuncs = []wasiFunc{
		{"args_get", p(i32, i32), errno, wasiNoStrings},
		{"args_sizes_get", p(i32, i32), errno, wasiNoStringsSizes},
		{"environ_get", p(i32, i32), errno, wasiNoStrings},
		{"environ_sizes_get", p(i32, i32), errno, wasiNoStringsSizes},
		{"clock_res_get", p(i32, i32), errno, wasiClockResGet},
		{"clock_time_get", p(i32, i64, i32), errno, wasiClockTimeGet},
		{"fd_advise", p(i32, i64, i64, i32), errno, fdOnly(ErrnoNosys)},
		{"fd_allocate", p(i32, i64, i64), errno, fdOnly(ErrnoNosys)},
		{"fd_close", p(i32), errno, wasiFdClose},
		{"fd_datasync", p(i32), errno, fdOnly(ErrnoSuccess)},
		{"fd_fdstat_get", p(i32, i32), errno, wasiFdFdstatGet},
		{"fd_fdstat_set_flags", p(i32, i32), errno, wasiFdFdstatSetFlags},
		{"fd_fdstat_set_rights", p(i32, i64, i64), errno, fdOnly(ErrnoNosys)},
		{"fd_filestat_get", p(i32, i32), errno, wasiFdFilestatGet},
		{"fd_filestat_set_size", p(i32, i64), errno, fdOnly(ErrnoNosys)},
		{"fd_filestat_set_times", p(i32, i64, i64, i32), errno, fdOnly(ErrnoNosys)},
		{"fd_pread", p(i32, i32, i32, i64, i32), errno, fdOnly(ErrnoNosys)},
		{"fd_prestat_get", p(i32, i32), errno, fdPrestat},
		{"fd_prestat_dir_name", p(i32, i32, i32), errno, fdPrestat},
		{"fd_pwrite", p(i32, i32, i32, i64, i32), errno, fdOnly(ErrnoNosys)},
		{"fd_read", p(i32, i32, i32, i32), errno, wasiFdRead},
		{"fd_readdir", p(i32, i32, i32, i64, i32), errno, fdOnly(ErrnoNotdir)},
		{"fd_renumber", p(i32, i32), errno, fdOnly(ErrnoNosys)},
		{"fd_seek", p(i32, i64, i32, i32), errno, fdOnly(ErrnoNosys)},
		{"fd_sync", p(i32), errno, fdOnly(ErrnoSuccess)},
		{"fd_tell", p(i32, i32), errno, fdOnly(ErrnoNosys)},
		{"fd_write", p(i32, i32, i32, i32), errno, wasiFdWrite},
		{"path_create_directory", p(i32, i32, i32), errno, path},
		{"path_filestat_get", p(i32, i32, i32, i32, i32), errno, path},
		{"path_filestat_set_times", p(i32, i32, i32, i32, i64, i64, i32), errno, path},
		{"path_link", p(i32, i32, i32, i32, i32, i32, i32), errno, path},
		{"path_open", p(i32, i32, i32, i32, i32, i64, i64, i32, i32), errno, path},
		{"path_readlink", p(i32, i32, i32, i32, i32, i32), errno, path},
		{"path_remove_directory", p(i32, i32, i32), errno, path},
		{"path_rename", p(i32, i32, i32, i32, i32, i32), errno, path},
		{"path_symlink", p(i32, i32, i32, i32, i32), errno, wasiPathSymlink},
		{"path_unlink_file", p(i32, i32, i32), errno, path},
		{"poll_oneoff", p(i32, i32, i32, i32), errno, wasiPollOneoff},
		{"proc_exit", p(i32), nil, nil}, // special-cased: it does not return
		{"proc_raise", p(i32), errno, func(*wasiState, Memory, []uint64) Errno { return ErrnoNosys }},
		{"random_get", p(i32, i32), errno, wasiRandomGet},
		{"sched_yield", nil, errno, func(*wasiState, Memory, []uint64) Errno { runtime.Gosched(); return ErrnoSuccess }},
		{"sock_accept", p(i32, i32, i32), errno, sock},
		{"sock_recv", p(i32, i32, i32, i32, i32, i32), errno, sock},
		{"sock_send", p(i32, i32, i32, i32, i32), errno, sock},
		{"sock_shutdown", p(i32, i32), errno, sock},
	}
	wasiByName = make(map[string]*wasiFunc, len(wasiFuncs))
	for i := range wasiFuncs {
		wasiByName[wasiFuncs[i].name] = &wasiFuncs[i]
	}
}

// WASINames returns the names of the WASI preview 1 functions provided, in
// the order of the specification.
func WASINames() []string {
	names := make([]string, len(wasiFuncs))
	for i, f := range wasiFuncs {
		names[i] = f.name
	}
	return names
}

// WASIFuncs returns every WASI preview 1 function, sharing one state (the
// standard descriptors' open/closed state) configured by cfg: the host
// functions of one instance for module "wasi_snapshot_preview1".
func WASIFuncs(cfg WASIConfig) []HostFunc {
	w := newWASIState(cfg)
	out := make([]HostFunc, len(wasiFuncs))
	for i := range wasiFuncs {
		out[i] = w.hostFunc(&wasiFuncs[i])
	}
	return out
}

func (w *wasiState) hostFunc(f *wasiFunc) HostFunc {
	h := HostFunc{Name: f.name, Params: f.params, Results: f.results}
	if f.impl == nil { // proc_exit
		h.Func = func(_ context.Context, _ Caller, s []uint64) {
			panic(&ExitError{Code: uint32(s[0])})
		}
		return h
	}
	impl := f.impl
	h.Func = func(_ context.Context, c Caller, s []uint64) {
		m := c.Memory()
		if m == nil {
			m = noMemory{}
		}
		s[0] = uint64(impl(w, m, s))
	}
	return h
}

// noMemory stands in for the memory of a guest that exports none: every
// access is out of bounds.
type noMemory struct{}

func (noMemory) Size() uint64                       { return 0 }
func (noMemory) Read(uint32, uint32) ([]byte, bool) { return nil, false }
func (noMemory) Write(uint32, []byte) bool          { return false }
func (noMemory) Grow(uint32) (uint32, bool)         { return 0, false }

// Little-endian accessors, bounds-checked like the rest.

func writeU32(m Memory, off, v uint32) bool {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], v)
	return m.Write(off, b[:])
}

func writeU64(m Memory, off uint32, v uint64) bool {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], v)
	return m.Write(off, b[:])
}

// wasiNoStrings is args_get and environ_get: there is nothing to write.
func wasiNoStrings(*wasiState, Memory, []uint64) Errno { return ErrnoSuccess }

// wasiNoStringsSizes is args_sizes_get and environ_sizes_get: 0 strings of
// 0 bytes.
func wasiNoStringsSizes(_ *wasiState, m Memory, s []uint64) Errno {
	if _, ok := m.Read(uint32(s[0]), 4); !ok {
		return ErrnoFault
	}
	if _, ok := m.Read(uint32(s[1]), 4); !ok {
		return ErrnoFault
	}
	writeU32(m, uint32(s[0]), 0)
	writeU32(m, uint32(s[1]), 0)
	return ErrnoSuccess
}

func wasiClockResGet(_ *wasiState, m Memory, s []uint64) Errno {
	switch uint32(s[0]) {
	case clockRealtime, clockMonotonic:
	default:
		return ErrnoInval
	}
	if !writeU64(m, uint32(s[1]), 1) {
		return ErrnoFault
	}
	return ErrnoSuccess
}

func (w *wasiState) now(id uint32) (int64, Errno) {
	switch id {
	case clockRealtime:
		sec, nsec := w.cfg.Walltime()
		return sec*1e9 + int64(nsec), ErrnoSuccess
	case clockMonotonic:
		return w.cfg.Nanotime(), ErrnoSuccess
	}
	return 0, ErrnoInval
}

func wasiClockTimeGet(w *wasiState, m Memory, s []uint64) Errno {
	// The precision (s[1]) is ignored: both clocks have a resolution of 1 ns.
	t, errno := w.now(uint32(s[0]))
	if errno != ErrnoSuccess {
		return errno
	}
	if !writeU64(m, uint32(s[2]), uint64(t)) {
		return ErrnoFault
	}
	return ErrnoSuccess
}

func wasiFdClose(w *wasiState, _ Memory, s []uint64) Errno {
	if !w.open(s[0]) {
		return ErrnoBadf
	}
	w.closed[uint32(s[0])] = true
	return ErrnoSuccess
}

// wasiFdFdstatGet describes a standard descriptor as wazero does: a block
// device, no flags, file rights.
func wasiFdFdstatGet(w *wasiState, m Memory, s []uint64) Errno {
	buf, ok := m.Read(uint32(s[1]), 24)
	if !ok {
		return ErrnoFault
	}
	if !w.open(s[0]) {
		return ErrnoBadf
	}
	clear(buf)
	buf[0] = filetypeBlockDevice
	binary.LittleEndian.PutUint64(buf[8:], stdioRights)
	return ErrnoSuccess
}

func wasiFdFdstatSetFlags(w *wasiState, _ Memory, s []uint64) Errno {
	flags := uint16(s[1])
	if flags&(fdflagDsync|fdflagRsync|fdflagSync) != 0 {
		return ErrnoInval
	}
	if !w.open(s[0]) {
		return ErrnoBadf
	}
	if flags&fdflagNonblock != 0 {
		return ErrnoNosys
	}
	return ErrnoSuccess
}

func wasiFdFilestatGet(w *wasiState, m Memory, s []uint64) Errno {
	if !w.open(s[0]) {
		return ErrnoBadf
	}
	buf, ok := m.Read(uint32(s[1]), 64)
	if !ok {
		return ErrnoFault
	}
	clear(buf)
	buf[16] = filetypeBlockDevice
	binary.LittleEndian.PutUint64(buf[24:], 1) // nlink
	return ErrnoSuccess
}

// fdPrestat is fd_prestat_get and fd_prestat_dir_name: nothing is preopened.
func fdPrestat(*wasiState, Memory, []uint64) Errno { return ErrnoBadf }

// wasiPathSymlink takes its descriptor third.
func wasiPathSymlink(w *wasiState, _ Memory, s []uint64) Errno {
	return w.fdErr(s[2], ErrnoNotdir)
}

// iovecs checks an iovec array and returns its raw bytes.
func iovecs(m Memory, ptr, n uint32) ([]byte, bool) {
	if n > math.MaxUint32/8 {
		return nil, false
	}
	return m.Read(ptr, n*8)
}

// wasiFdRead reads from stdin, which is always at its end.
func wasiFdRead(w *wasiState, m Memory, s []uint64) Errno {
	fd := uint32(s[0])
	if !w.open(s[0]) {
		return ErrnoBadf
	}
	if fd != 0 {
		return ErrnoNosys
	}
	if _, ok := iovecs(m, uint32(s[1]), uint32(s[2])); !ok {
		return ErrnoFault
	}
	if !writeU32(m, uint32(s[3]), 0) {
		return ErrnoFault
	}
	return ErrnoSuccess
}

func wasiFdWrite(w *wasiState, m Memory, s []uint64) Errno {
	fd := uint32(s[0])
	if !w.open(s[0]) {
		return ErrnoBadf
	}
	if fd == 0 {
		return ErrnoNosys
	}
	out := w.cfg.Stdout
	if fd == 2 {
		out = w.cfg.Stderr
	}
	iov, ok := iovecs(m, uint32(s[1]), uint32(s[2]))
	if !ok {
		return ErrnoFault
	}
	resultPtr := uint32(s[3])
	if _, ok := m.Read(resultPtr, 4); !ok {
		return ErrnoFault
	}
	// Check every buffer before writing any, so a fault writes nothing.
	var total uint64
	for i := 0; i < len(iov); i += 8 {
		ptr, n := binary.LittleEndian.Uint32(iov[i:]), binary.LittleEndian.Uint32(iov[i+4:])
		if _, ok := m.Read(ptr, n); !ok {
			return ErrnoFault
		}
		total += uint64(n)
	}
	if total > math.MaxUint32 {
		return ErrnoInval
	}
	if out != nil {
		for i := 0; i < len(iov); i += 8 {
			ptr, n := binary.LittleEndian.Uint32(iov[i:]), binary.LittleEndian.Uint32(iov[i+4:])
			if n == 0 {
				continue
			}
			b, _ := m.Read(ptr, n)
			if _, err := out.Write(b); err != nil {
				return ErrnoIO
			}
		}
	}
	writeU32(m, resultPtr, uint32(total))
	return ErrnoSuccess
}

func wasiRandomGet(w *wasiState, m Memory, s []uint64) Errno {
	buf, ok := m.Read(uint32(s[0]), uint32(s[1]))
	if !ok {
		return ErrnoFault
	}
	if _, err := io.ReadFull(w.cfg.Random, buf); err != nil {
		return ErrnoIO
	}
	return ErrnoSuccess
}

// wasiPollOneoff answers every subscription in one go: clock subscriptions
// fire (after one Nanosleep of the shortest timeout), stdin is readable (at
// its end), and other descriptors are as wazero reports them (EBADF for one
// not open; ENOTSUP for a write subscription). A descriptor subscription is
// ready at once, so a poll that has one does not sleep (and reports its
// clock subscriptions too, as before sleeps were real: the guest rereads
// its clock).
func wasiPollOneoff(w *wasiState, m Memory, s []uint64) Errno {
	in, out, n, resultPtr := uint32(s[0]), uint32(s[1]), uint32(s[2]), uint32(s[3])
	if n == 0 {
		return ErrnoInval
	}
	if n > math.MaxUint32/48 {
		return ErrnoFault
	}
	subs, ok := m.Read(in, n*48)
	if !ok {
		return ErrnoFault
	}
	events, ok := m.Read(out, n*32)
	if !ok {
		return ErrnoFault
	}
	if _, ok := m.Read(resultPtr, 4); !ok {
		return ErrnoFault
	}
	// The two ranges may overlap: read all subscriptions before writing.
	type sub struct {
		userdata uint64
		tag      byte
		errno    Errno
	}
	list := make([]sub, n)
	timeout := int64(math.MaxInt64)
	fds := false
	for i := range list {
		b := subs[i*48 : i*48+48]
		sb := sub{userdata: binary.LittleEndian.Uint64(b), tag: b[8]}
		switch sb.tag {
		case eventClock:
			id := binary.LittleEndian.Uint32(b[16:])
			t := int64(binary.LittleEndian.Uint64(b[24:]))
			flags := binary.LittleEndian.Uint16(b[40:])
			switch flags {
			case 0:
			case subclockAbstime:
				now, errno := w.now(id)
				if errno != ErrnoSuccess {
					return errno
				}
				t -= now
			default:
				return ErrnoInval
			}
			if t < 0 {
				t = 0
			}
			timeout = min(timeout, t)
		case eventFdRead:
			fds = true
			fd := binary.LittleEndian.Uint32(b[16:])
			if !w.open(uint64(fd)) {
				sb.errno = ErrnoBadf
			} else if fd != 0 {
				sb.errno = ErrnoNotsup
			}
		case eventFdWrite:
			fds = true
			fd := binary.LittleEndian.Uint32(b[16:])
			if !w.open(uint64(fd)) {
				sb.errno = ErrnoBadf
			} else {
				sb.errno = ErrnoNotsup
			}
		default:
			return ErrnoInval
		}
		list[i] = sb
	}
	clear(events)
	for i, sb := range list {
		e := events[i*32 : i*32+32]
		binary.LittleEndian.PutUint64(e, sb.userdata)
		binary.LittleEndian.PutUint16(e[8:], uint16(sb.errno))
		e[10] = sb.tag
	}
	writeU32(m, resultPtr, n)
	if !fds && timeout != math.MaxInt64 && timeout > 0 && w.cfg.Nanosleep != nil {
		w.cfg.Nanosleep(timeout)
	}
	return ErrnoSuccess
}
