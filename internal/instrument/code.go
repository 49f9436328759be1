package instrument

// rewriter re-encodes the code section. Its slices are reused from one
// function body to the next, so a rewrite allocates only when they grow.
type rewriter struct {
	opts         Options
	interruptIdx uint32
	fuelIdx      uint32
	ticksIdx     uint32
	yield        bool
	depthIdx     uint32   // with MaxCallDepth
	typeParams   []uint32 // with MaxCallDepth: parameters of each type
	funcTypes    []uint32 // with MaxCallDepth: type of each body
	depthPre     []byte   // before a call: raise the depth, check it
	depthPost    []byte   // after a call: lower the depth
	preempt      bool     // Options.Preempt applies: append $preempt
	preemptIdx   uint32   // its function index
	preemptType  uint32   // its type index

	interruptCheck []byte // global.get $i; if; unreachable; end
	yieldCheck     []byte // see prepare
	fuelCheck      []byte // see prepare
	fuelPatch      int    // offset of the padded cost in fuelCheck

	ctrl   []bool  // open frames of the current body: true for a loop
	scopes []scope // open fuel scopes: the function, then nested loops

	funcs, loops int
	tableWrites  int // table.set/grow/fill/copy/init and elem.drop seen
}

// scope is a function or loop whose fuel cost is patched at its end.
type scope struct {
	patch int // offset in the output of the padded cost, -1 without fuel
	count int // instructions counted so far, saved while a nested loop is open
}

func (r *rewriter) prepare() {
	if r.opts.Interrupt {
		c := append([]byte{0x23}, appendU32(nil, r.interruptIdx)...) // global.get $interrupt
		if r.preempt {
			c = append(c, 0x04, 0x40, 0x10) // if (empty) call $preempt end
			r.interruptCheck = append(appendU32(c, r.preemptIdx), 0x0b)
		} else {
			r.interruptCheck = append(c, 0x04, 0x40, 0x00, 0x0b) // if (empty) unreachable end
		}
	}
	if r.yield {
		t := appendU32(nil, r.ticksIdx)
		c := append([]byte{0x23}, t...)       // global.get $ticks
		c = append(c, 0x41, 0x01, 0x6b)       // i32.const 1; i32.sub
		c = append(append(c, 0x24), t...)     // global.set $ticks
		c = append(append(c, 0x23), t...)     // global.get $ticks
		c = append(c, 0x41, 0x00, 0x4c)       // i32.const 0; i32.le_s
		c = append(c, 0x04, 0x40)             // if (empty)
		c = append(c, 0x41, 0x00, 0x40, 0x00) //   i32.const 0; memory.grow 0
		c = append(c, 0x1a, 0x41)             //   drop; i32.const YieldEvery
		c = appendS32(c, YieldEvery)
		c = append(append(c, 0x24), t...) //   global.set $ticks
		r.yieldCheck = append(c, 0x0b)    // end
	}
	if r.opts.Fuel {
		idx := appendU32(nil, r.fuelIdx)
		c := append([]byte{0x23}, idx...) // global.get $fuel
		c = append(c, 0x42)               // i64.const cost (5-byte padded, patched later)
		r.fuelPatch = len(c)
		c = append(c, 0x80, 0x80, 0x80, 0x80, 0x00)
		c = append(c, 0x7d, 0x24) // i64.sub; global.set $fuel
		c = append(c, idx...)
		c = append(c, 0x23) // global.get $fuel
		c = append(c, idx...)
		c = append(c, 0x42, 0x00, 0x53) // i64.const 0; i64.lt_s
		c = append(c, 0x04, 0x40, 0x00, 0x0b)
		r.fuelCheck = c
	}
}

// appendCheck appends the checks of a function entry or loop header and
// opens a fuel scope.
func (r *rewriter) appendCheck(out []byte) []byte {
	out = append(out, r.interruptCheck...)
	out = append(out, r.yieldCheck...)
	patch := -1
	if r.fuelCheck != nil {
		patch = len(out) + r.fuelPatch
		out = append(out, r.fuelCheck...)
	}
	r.scopes = append(r.scopes, scope{patch: patch})
	return out
}

// closeScope pops the innermost fuel scope, whose instruction count is n,
// writes its cost and returns the count of the scope that encloses it.
func (r *rewriter) closeScope(out []byte, n int) int {
	sc := r.scopes[len(r.scopes)-1]
	r.scopes = r.scopes[:len(r.scopes)-1]
	if sc.patch >= 0 {
		if n < 1 {
			n = 1
		}
		// n is at most a body size (< 2^32), so bit 34, the sign of a
		// 5-byte signed LEB128, stays clear.
		c := uint64(n)
		out[sc.patch] = byte(c)&0x7f | 0x80
		out[sc.patch+1] = byte(c>>7)&0x7f | 0x80
		out[sc.patch+2] = byte(c>>14)&0x7f | 0x80
		out[sc.patch+3] = byte(c>>21)&0x7f | 0x80
		out[sc.patch+4] = byte(c>>28) & 0x7f
	}
	if len(r.scopes) == 0 {
		return 0
	}
	return r.scopes[len(r.scopes)-1].count
}

// rewriteCode appends the rewritten code section whose content starts at p
// and ends at len(b).
func (r *rewriter) rewriteCode(out, b []byte, p int) ([]byte, error) {
	r.prepare()
	n, p, err := readU32(b, p)
	if err != nil {
		return out, err
	}
	out = append(out, secCode)
	out, start := beginSized(out)
	if r.preempt {
		out = appendU32(out, n+1)
	} else {
		out = appendU32(out, n)
	}
	for i := uint32(0); i < n; i++ {
		var size uint32
		if size, p, err = readU32(b, p); err != nil {
			return out, err
		}
		if int64(size) > int64(len(b)-p) {
			return out, malformed(p, "function body %d size %d exceeds the code section", i, size)
		}
		end := p + int(size)
		if out, err = r.rewriteBody(out, b[:end], p); err != nil {
			return out, err
		}
		p = end
	}
	if p != len(b) {
		return out, malformed(p, "code section size mismatch")
	}
	if r.preempt {
		// $preempt: no locals; global.get $interrupt; if; unreachable; end; end
		body := append([]byte{0x00, 0x23}, appendU32(nil, r.interruptIdx)...)
		body = append(body, 0x04, 0x40, 0x00, 0x0b, 0x0b)
		out = appendU32(out, uint32(len(body)))
		out = append(out, body...)
	}
	return endSized(out, start)
}

// rewriteBody appends the rewritten function body found in b[p:], preceded
// by its new size.
func (r *rewriter) rewriteBody(out, b []byte, p int) ([]byte, error) {
	out, start := beginSized(out)
	r.funcs++

	// Locals declarations are copied as they are.
	localsStart := p
	nDecl, p, err := readU32(b, p)
	if err != nil {
		return out, err
	}
	if int64(nDecl) > int64(len(b)-p)/2 {
		return out, malformed(p, "locals declaration count %d exceeds the body", nDecl)
	}
	var nLocals uint64
	for i := uint32(0); i < nDecl; i++ {
		var c uint32
		if c, p, err = readU32(b, p); err != nil {
			return out, err
		}
		if nLocals += uint64(c); nLocals > 0xffffffff {
			return out, malformed(p, "too many locals")
		}
		if p, err = skipValType(b, p); err != nil {
			return out, err
		}
	}
	out = append(out, b[localsStart:p]...)
	if r.opts.MaxCallDepth > 0 {
		var params uint64
		if i := r.funcs - 1; i < len(r.funcTypes) {
			params = uint64(r.typeParams[r.funcTypes[i]])
		}
		r.prepareDepth(1 + (params+nLocals)/8 + uint64(len(b)-localsStart)/256)
	}

	r.ctrl = r.ctrl[:0]
	r.scopes = r.scopes[:0]
	out = r.appendCheck(out)
	count := 0 // instructions of the innermost scope so far
	copied := p
	for {
		kind, np, err := nextInstr(b, p)
		if err != nil {
			return out, err
		}
		if isTableWrite(b, p) {
			r.tableWrites++
		}
		count++
		if r.depthPre != nil && isCall(b[p]) {
			out = append(out, b[copied:p]...)
			out = append(out, r.depthPre...)
			out = append(out, b[p:np]...)
			out = append(out, r.depthPost...)
			copied = np
		}
		switch kind {
		case kBlock:
			r.ctrl = append(r.ctrl, false)
		case kLoop:
			r.loops++
			out = append(out, b[copied:np]...)
			copied = np
			r.scopes[len(r.scopes)-1].count = count
			out = r.appendCheck(out)
			count = 0
			r.ctrl = append(r.ctrl, true)
		case kEnd, kDelegate:
			if len(r.ctrl) == 0 {
				if kind == kDelegate {
					return out, malformed(p, "delegate outside a try block")
				}
				if np != len(b) {
					return out, malformed(np, "function body continues after its end")
				}
				out = append(out, b[copied:np]...)
				r.closeScope(out, count)
				return endSized(out, start)
			}
			isLoop := r.ctrl[len(r.ctrl)-1]
			r.ctrl = r.ctrl[:len(r.ctrl)-1]
			if isLoop {
				if kind == kDelegate {
					return out, malformed(p, "delegate closing a loop")
				}
				count = r.closeScope(out, count)
			}
		}
		p = np
	}
}

// isCall reports whether op is a call that keeps the caller's frame:
// call, call_indirect or call_ref (not the return_call tail calls).
func isCall(op byte) bool { return op == 0x10 || op == 0x11 || op == 0x14 }

// prepareDepth makes the code around a call for a frame of weight w.
func (r *rewriter) prepareDepth(w uint64) {
	w = min(w, uint64(r.opts.MaxCallDepth)+1) // a frame heavier than the bound traps at once
	d := appendU32(nil, r.depthIdx)
	c := append(append(r.depthPre[:0], 0x23), d...) // global.get $depth
	c = appendS32(append(c, 0x41), int32(w))        // i32.const w
	c = append(append(c, 0x6a, 0x24), d...)         // i32.add; global.set $depth
	c = append(append(c, 0x23), d...)               // global.get $depth
	c = appendS32(append(c, 0x41), int32(r.opts.MaxCallDepth))
	c = append(c, 0x4b, 0x04, 0x40, 0x00, 0x0b) // i32.gt_u; if; unreachable; end
	r.depthPre = c
	c = append(append(r.depthPost[:0], 0x23), d...)
	c = appendS32(append(c, 0x41), int32(w))
	r.depthPost = append(append(c, 0x6b, 0x24), d...) // i32.sub; global.set $depth
}

// isTableWrite reports whether the instruction at p changes a table or an
// element segment: state outside linear memory and globals.
func isTableWrite(b []byte, p int) bool {
	switch b[p] {
	case 0x26: // table.set
		return true
	case 0xfc:
		sub, _, err := readU32(b, p+1)
		// table.init, elem.drop, table.copy, table.grow, table.fill
		return err == nil && (sub == 12 || sub == 13 || sub == 14 || sub == 15 || sub == 17)
	}
	return false
}
