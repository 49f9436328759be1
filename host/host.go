// Package host runs WebAssembly actor classes: one sandbox per actor, method
// calls queued per actor and run on a bounded worker pool, results as futures.
//
// A Go program embeds it like this:
//
//	h, _ := host.New(ctx, host.Config{})
//	defer h.Close(ctx)
//	class, _ := h.LoadClass(ctx, wasmBytes)
//	counter, _ := h.Spawn(ctx, class.ID, host.Options{}, 10)
//	fut, _ := counter.Call(ctx, "incr", 1)
//	n, _ := host.Await[int64](ctx, fut)
//
// Host, Actor and Future are safe for concurrent use.
//
// Lock order (outermost first; a lock is only taken while holding locks to
// its left, never the reverse; TestLockOrder checks that every lock is named
// here and that docs/ARCHITECTURE.md shows the same chain):
//
//	journal.Store.RepairMu -> scheduler.Sweeper.sweepMu -> tenancy.Registry.claimMu ->
//	sandbox.Class.tmplMu -> Actor.mu -> actor.mu -> scheduler.Sweeper.mu ->
//	scheduler.Mailbox.mu -> scheduler.Pool.mu
//
// with these side branches: actor.mu -> Host.mu -> directory.Directory.mu
// -> tenancy.Namespaces.mu (the directory's hooks count actors in their
// namespace); tenancy.Registry.claimMu -> Host.mu, directory.Directory.mu,
// tenancy.Registry.mu and tenancy.budget.mu; tenancy.Registry.mu ->
// tenancy.Namespaces.mu; sandbox.Class.tmplMu -> sandbox.Sandbox.mu -> the
// engine's locks; futuretable.Table.mu -> promise.P.mu (a Future's value);
// lineWriter.mu -> logring.Ring.mu. Host.mu guards the dead-actor keeper
// (with the directory's removals: forget) and actor.class (Repair). These
// are leaves apart from the branches above (nothing else is acquired while
// one is held; a promise runs its callbacks after releasing P.mu):
// promise.P.mu, waitgraph.Graph.mu, tenancy.Namespaces.mu,
// tenancy.budget.mu, logring.Ring.mu, tailBuffer.mu, journal.File.mu (file
// I/O only), scheduler.Pool.mu and scheduler.Admission.mu. sweepMu and
// RepairMu are held across waits for other actors' workers (a sweep
// passivates through their mailboxes, with a timeout); no worker takes
// RepairMu, and a worker takes sweepMu only inside Pool.Blocking.
package host

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wactor/wactor/host/directory"
	"github.com/wactor/wactor/host/journal"

	"github.com/wactor/wactor/abi/codec"
	"github.com/wactor/wactor/host/sandbox"
	"github.com/wactor/wactor/host/tenancy"
	"github.com/wactor/wactor/internal/callvalues"
	"github.com/wactor/wactor/internal/goroutines"
	"github.com/wactor/wactor/internal/logring"
	"github.com/wactor/wactor/internal/waitgraph"
	"github.com/wactor/wactor/scheduler"
	"github.com/wactor/wactor/snapshots"
)

// Host runs actors. Create it with New and release it with Close.
type Host struct {
	cfg     Config
	eng     *sandbox.Engine
	pool    *scheduler.Pool
	persist *persist // nil without Config.DataDir
	admit   *scheduler.Admission

	// classes are the loaded classes and their namespaces' claims;
	// namespaces the namespaces' accounting and quotas (host/tenancy).
	classes    *tenancy.Registry
	namespaces *tenancy.Namespaces

	// dir is the directory of live actors: IDs, names, owners.
	dir  *directory.Directory[*actor]
	mu   sync.Mutex
	dead *logring.Morgue[ActorInfo] // the recently dead actors (Config.KeepDead)
	logs logring.Budget             // what all actors' logs hold (NodeUsage.LogBytes)

	waits waitgraph.Graph[*actor]

	// recovering: New is bringing durable actors back, which quotas do
	// not refuse (they were accepted before).
	recovering atomic.Bool

	// Guest-initiated spawns run on their own goroutines (guestcalls.go),
	// never on the stack of the guest that asked; base is cancelled on
	// Close, which then waits for them.
	spawns     goroutines.Group
	base       context.Context
	cancelBase context.CancelFunc

	// The janitor (passivate.go), when PassivateAfter or MemoryBudget is
	// set; sweeper holds the actors that have a sandbox (not passivated,
	// not dead).
	group                       goroutines.Group
	stop                        chan struct{}
	sweeper                     *scheduler.Sweeper[*actor]
	passivations, reactivations atomic.Uint64
	// observed: an Observer was configured (calls are timed for it);
	// timed: calls are timed (for the observer, or passivation's LRU).
	observed, timed bool
	passiveBytes    atomic.Int64 // encoded states of passivated actors
	queued          atomic.Int64 // calls in all mailboxes (Config.MaxQueuedCalls)
}

// New validates cfg and starts a host.
func New(ctx context.Context, cfg Config) (*Host, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	var p *persist
	if cfg.DataDir != "" {
		jc := journal.Config{Dir: cfg.DataDir, Mode: cfg.Durability, Keep: cfg.KeepCheckpoints, FS: cfg.fs, Logger: cfg.Logger}
		if p, err = journal.Open(jc); err != nil {
			return nil, fmt.Errorf("host: %w", err)
		}
	}
	admit, err := scheduler.NewAdmission(scheduler.AdmissionConfig{
		CPU: cfg.Node.CPU, GPU: cfg.Node.GPU, Memory: cfg.Node.Memory, Custom: cfg.Node.Custom,
	})
	if err != nil {
		return nil, fmt.Errorf("%w: node resources: %w", ErrInvalidOptions, err)
	}
	eng, err := sandbox.NewEngine(ctx, cfg.Engine, cfg.CacheDir, cfg.LoadTimeout)
	if err != nil {
		return nil, err
	}
	h := &Host{
		cfg:     cfg,
		eng:     eng,
		persist: p,
		admit:   admit,
		pool:    scheduler.NewPool(scheduler.Config{Workers: cfg.Workers, Slice: cfg.TimeSlice}),
		dead:    logring.NewMorgue[ActorInfo](cfg.KeepDead, cfg.KeepDeadFor),
		logs:    logring.Budget{Limit: max(cfg.LogBudget, 0), Floor: int64(cfg.DeadLogBytes)},
		stop:    make(chan struct{}),
	}
	h.sweeper = scheduler.NewSweeper(scheduler.SweeperConfig[*actor]{After: cfg.PassivateAfter, Budget: cfg.MemoryBudget,
		Passivate: func(ctx context.Context, a *actor) error { return (&Actor{a: a}).Passivate(ctx) }})
	h.namespaces = tenancy.NewNamespaces(cfg.Quota, cfg.Quotas, cfg.MaxWaiting)
	h.dir = directory.New(directory.Hooks[*actor]{Admit: h.countActor, Release: func(a *actor) { a.ns.RemoveActor() }})
	h.classes = tenancy.NewRegistry(tenancy.RegistryConfig{
		Engine: eng, Store: p, Namespaces: h.namespaces,
		MaxClassBytes: cfg.MaxClassBytes, MemoryBudget: cfg.ClassMemoryBudget,
		MemoryPages: cfg.Defaults.MemoryPages, Templates: !cfg.ColdSpawn,
		Stop: h.stop, Logger: cfg.Logger, InUse: h.classUser, Forbidden: h.forbidden,
	})
	h.base, h.cancelBase = context.WithCancel(context.Background())
	_, nop := cfg.Observer.(nopObserver)
	h.observed = !nop
	h.timed = h.observed || cfg.PassivateAfter > 0 || cfg.MemoryBudget > 0
	if h.sweeper.Active() {
		h.group.Go(func() { h.sweeper.Run(h.stop) })
	}
	if p != nil {
		h.recovering.Store(true)
		err := h.recover(ctx)
		h.recovering.Store(false)
		if err != nil {
			_ = h.Close(ctx)
			return nil, err
		}
	}
	return h, nil
}

// startScheduled runs a.start (the constructor) on a worker place of the
// actor's namespace (scheduler.Pool.Acquire), so constructors wait for
// their namespace's turn, count against Config.Workers and yield like calls:
// a namespace spawning spinning constructors gets its share, not more.
func (a *actor) startScheduled(ctx context.Context, from *snapshots.State, startup *entry, mode sandbox.Mode) (*box, error) {
	pl, ok := a.h.pool.Acquire(a.opts.Namespace, a.preempt, ctx.Done())
	if !ok {
		return nil, fmt.Errorf("waiting for a worker to run the constructor: %w", context.Cause(ctx))
	}
	defer pl.Release()
	y := yieldFunc(pl.Yield)
	a.yielder.Store(&y)
	defer a.yielder.Store(nil)
	return a.start(ctx, from, startup, mode)
}

// newLog makes an actor's log, within the host's limits and accounting.
func (h *Host) newLog() *logring.Ring {
	return logring.New(h.cfg.LogLines, int64(h.cfg.LogBytes), &h.logs)
}

// newMailbox wires an actor record, spawned or recovered, to the pool: its
// mailbox is in its namespace's group, so namespaces share the workers
// fairly. It also cuts the actor's call deadline to the host's cap, which a
// recovered actor, whose options were saved under an older Config, may
// exceed.
func newMailbox(h *Host, a *actor) *scheduler.Mailbox[*call] {
	a.opts.CallTimeout = min(a.opts.CallTimeout, h.cfg.MaxCallTimeout)
	mb := scheduler.NewGroupMailbox(h.pool, a.opts.Namespace, a.opts.MaxPending, a.handle)
	mb.OnPreempt(a.preempt)
	y := yieldFunc(mb.Yield)
	a.mbYield = &y
	return mb
}

// Config returns the host's configuration with defaults filled in.
func (h *Host) Config() Config { return h.cfg }

// Close kills every actor (reason: host closed), stops the workers and frees
// the engine. It waits for running calls to stop, or for ctx.
func (h *Host) Close(ctx context.Context) error {
	actors, ok := h.dir.Close()
	if !ok {
		return nil
	}
	defer h.classes.Close()() // frees templates' memory files at the end
	h.cancelBase()
	close(h.stop)
	h.admit.Close()
	err := h.group.Wait(ctx)
	for _, a := range actors {
		a.die(DeathHostClosed, nil)
	}
	if e := h.spawns.Wait(ctx); err == nil {
		err = e
	}
	if e := h.pool.Close(ctx); err == nil {
		err = e
	}
	if e := h.eng.Close(context.WithoutCancel(ctx)); err == nil {
		err = e
	}
	return err
}

// Spawn creates an actor of a loaded class visible to the actor's namespace
// (ErrClassNotFound for another's class): it makes a sandbox, runs the
// constructor with args (which may include futures: Spawn waits for them),
// and returns a handle. A trap or an application error in the constructor
// fails Spawn; the actor is kept dead (constructor failed), not live. A
// constructor that calls exit returns the handle of an actor dead (exited).
// The host owns it (until killed, exited or Close); a Session's die with it.
func (h *Host) Spawn(ctx context.Context, classID string, opts Options, args ...any) (*Actor, error) {
	return h.spawnFor(ctx, nil, classID, opts, args)
}

func (h *Host) spawnFor(ctx context.Context, owner *directory.Owner[*actor], classID string, opts Options, args []any) (*Actor, error) {
	ns := opts.Namespace
	if ns == "" {
		ns = h.cfg.Defaults.Namespace
	}
	c, err := h.classes.GetIn(ns, classID)
	if err != nil {
		return nil, err
	}
	args = append([]any(nil), args...)
	for i, x := range args {
		if f, ok := x.(*Future); ok {
			val, err := f.Get(ctx)
			if err != nil {
				return nil, fmt.Errorf("constructor argument %d: %w", i, err)
			}
			args[i] = val
		}
	}
	initArgs, err := codec.EncodeArgs(args)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidArgument, err)
	}
	return h.spawn(ctx, owner, c, opts, initArgs, len(args), nil)
}

// spawn creates an actor from encoded constructor arguments.
func (h *Host) spawn(ctx context.Context, own *directory.Owner[*actor], c *tenancy.Class, o Options, initArgs []byte, nargs int, from *snapshots.State) (*Actor, error) {
	explicitTimeout := o.CallTimeout != nil
	merged, err := mergeOptions(o, h.cfg.Defaults)
	if err != nil {
		return nil, err
	}
	opts := resolveOptions(merged)
	if err := h.cfg.checkCallTimeout(opts.CallTimeout); err != nil {
		return nil, err
	}
	if opts.CallTimeout, err = h.namespaces.CallTimeout(opts.Namespace, opts.CallTimeout, explicitTimeout, h.cfg.MaxCallTimeout); err != nil {
		return nil, err
	}
	if c.MinPages() > opts.MemoryPages {
		return nil, fmt.Errorf("%w: memory_pages %d is below the module's minimum of %d", ErrInvalidOptions, opts.MemoryPages, c.MinPages())
	}
	if !c.HasInit() && nargs > 0 {
		return nil, fmt.Errorf("%w: class has no constructor, got %d arguments", ErrArity, nargs)
	}
	if from == nil && c.InitSpec() != nil && !c.InitSpec().CheckArity(nargs) {
		return nil, fmt.Errorf("%w: constructor takes %d, got %d", ErrArity, len(c.InitSpec().Params), nargs)
	}
	if err := callvalues.CheckSize(len(initArgs), h.cfg.MaxArgBytes); err != nil {
		return nil, err
	}
	if opts.Detached {
		own = nil
	}
	if opts.Durable && h.persist == nil {
		return nil, fmt.Errorf("%w: a durable actor needs a host with a data directory", ErrInvalidOptions)
	}
	durable := h.durable(opts.Options)
	// Reserve the actor's resources for its lifetime (Ray's placement on
	// one node): wait while they are taken, fail at once if they never fit.
	res, err := h.admit.Reserve(ctx, h.request(opts.Options), h.cfg.AdmissionTimeout)
	if err != nil {
		return nil, fmt.Errorf("spawn: %w", err)
	}
	admitted := false
	defer func() {
		if !admitted {
			res.Release()
		}
	}()
	a := &actor{
		inc: newIncarnation(),
		h:   h, id: directory.NewID(), class: c, opts: opts, initArgs: initArgs,
		created: time.Now(), logs: h.newLog(), state: StatePending,
		ready: make(chan struct{}), durable: durable, depth: spawnDepth(ctx),
	}
	a.children.Limit = opts.MaxChildren
	a.res = res
	existing, err := h.dir.Register(ctx, a, own, opts.GetIfExists)
	if err != nil {
		return nil, err
	}
	if existing != nil {
		return &Actor{a: existing}, nil // res is released: the existing actor holds its own
	}
	var startup *entry
	mode := sandbox.Live
	if from != nil {
		a.checkpoints = []*snapshots.State{from}
	} else if a.journaling() {
		startup, mode = &entry{Method: "(start)", Index: -1}, sandbox.Record
		a.journal = []*entry{startup}
	}
	fail := func(err error) (*Actor, error) {
		// Dead (unless killed meanwhile), reported and kept as any dead actor.
		a.startErr = err
		a.die(DeathInitFailed, err)
		close(a.ready)
		if durable { // never acknowledged: its files go whatever killed it
			if a.jf != nil {
				a.jf.Close()
			}
			_ = h.persist.RemoveActor(context.WithoutCancel(ctx), a.id)
		}
		return nil, err
	}
	if err := a.ns.CheckMemory(c.InitialBytes(from)); err != nil {
		return fail(err)
	}
	defer waitForChild(ctx, a)()
	if durable {
		if err := a.persistStart(); err != nil {
			return fail(err)
		}
	}
	sb, err := a.startScheduled(ctx, from, startup, mode)
	if err != nil {
		return fail(err)
	}
	if died := a.deathError(); died != nil {
		// Killed while its constructor ran (its owner died, say): the
		// sandbox was interrupted; no actor comes out of it.
		sb.Close()
		return fail(died)
	}
	switch {
	case durable:
		if err := a.persistStarted(sb); err != nil {
			sb.Close()
			return fail(err)
		}
	case from != nil && a.journaling():
		// A fork's first state (reseeded) is its own checkpoint, which a
		// restart goes back to.
		if _, err := a.takeCheckpoint(sb); err != nil {
			sb.Close()
			return fail(err)
		}
	}
	admitted = true
	a.lastCheckpoint = time.Now()
	a.lastActive.Store(time.Now().UnixNano())
	h.notePressure(sb.MemoryBytes())
	a.mb = newMailbox(h, a)
	a.mu.Lock()
	if a.state == StateDead {
		died := a.died
		a.mu.Unlock()
		sb.Close()
		return fail(died)
	}
	a.sb, a.state = sb, StateAlive
	h.setLive(a, true)
	a.mu.Unlock()
	close(a.ready)
	h.cfg.Observer.ActorChanged(ActorEvent{ActorID: a.id, Class: c.Info.ID, State: StateAlive})
	h.cfg.Logger.LogAttrs(ctx, slog.LevelDebug, "actor spawned", slog.String("actor", a.id), slog.String("class", c.Info.ID))
	if sb.ExitRequested() {
		// The constructor called exit: the handle of a dead actor (Ray's).
		a.die(DeathExited, nil)
	}
	return &Actor{a: a}, nil
}

// countActor counts a registering actor in its namespace (directory.Hooks.Admit).
func (h *Host) countActor(a *actor) error {
	ns := h.namespaces.Get(a.opts.Namespace)
	if err := ns.AddActor(!h.recovering.Load()); err != nil {
		return err
	}
	a.ns = ns
	return nil
}

// forget removes a dead (or never started) actor from the directory and
// returns the actors it owned. info, if not nil, is the dead actor's final
// state, kept for listing: under Host.mu with the removal, so that Actors
// lists the actor exactly once.
func (h *Host) forget(a *actor, info *ActorInfo) []*actor {
	// Its log is shrunk to a dead actor's, or released if it is not kept;
	// after unlocking.
	var gone []*logring.Ring
	defer func() { logring.Release(gone) }()
	if info != nil {
		a.logs.Retire(int64(h.cfg.DeadLogBytes))
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if info != nil {
		gone = h.dead.Add(info.ID, info.Options.Namespace, *info, a.logs, time.Now())
	} else {
		gone = append(gone, a.logs)
	}
	return h.dir.Forget(a)
}

// Lookup returns a new handle to the live actor with that name in namespace
// (Ray's get_actor; the namespace of actors spawned without one is
// DefaultNamespace). With Actor (by ID) it is the one way to find an actor.
// A name or namespace that breaks the name grammar (CheckName) fails with
// ErrInvalidName: no actor can have it.
func (h *Host) Lookup(ctx context.Context, namespace, name string) (*Actor, error) {
	a, err := h.dir.Lookup(ctx, namespace, name)
	if err != nil {
		return nil, err
	}
	return &Actor{a: a}, nil
}

// Actor returns a new handle to the live actor with that ID (for an actor
// handle value a guest returned, its abi.Handle.ID).
func (h *Host) Actor(ctx context.Context, id string) (*Actor, error) {
	a, err := h.dir.Actor(ctx, id)
	if err != nil {
		return nil, err
	}
	return &Actor{a: a}, nil
}

// Actors lists the live actors (pending, alive or restarting) and the dead
// ones the host keeps (Config.KeepDead, Config.KeepDeadFor), ordered by
// creation time.
func (h *Host) Actors() []ActorInfo {
	h.pruneDead()
	h.mu.Lock() // with forget's: each actor is live or dead, not both
	list := h.dir.List()
	out := make([]ActorInfo, len(list), len(list)+h.dead.Len())
	out = append(out, h.dead.Values()...)
	h.mu.Unlock()
	for i, a := range list {
		out[i] = a.info()
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Created.Before(out[j].Created) })
	return out
}

// Info returns the state of a live actor, or of a dead one the host still
// keeps (Config.KeepDead, Config.KeepDeadFor): state dead, with its death
// reason and error.
func (h *Host) Info(ctx context.Context, id string) (ActorInfo, error) {
	if err := ctx.Err(); err != nil {
		return ActorInfo{}, err
	}
	if a, err := h.dir.Find(id); err == nil {
		return a.info(), nil
	}
	if info, _, ok := h.deadActor(id); ok {
		return info, nil
	}
	return ActorInfo{}, fmt.Errorf("%w: %s", ErrActorNotFound, id)
}

// request is what an actor with these options reserves: its Ray resource
// requests, and, when the node's memory is accounted, at least its memory
// limit.
func (h *Host) request(o Options) scheduler.Resources {
	r := scheduler.Resources{CPU: o.NumCPUs, GPU: o.NumGPUs, Memory: o.Memory, Custom: o.Resources}
	if h.cfg.Node.Memory > 0 {
		r.Memory = max(r.Memory, int64(o.MemoryPages)*65536)
	}
	return r
}

// persist is the data directory (journal.Store) of a host with a DataDir.
type persist = journal.Store

// durable reports whether an actor with these options outlives the host.
func (h *Host) durable(o Options) bool {
	return h.persist != nil && (o.Durable || o.Detached)
}

// diskError is a disk failure without the file's path (journal.DiskError).
type diskError = journal.DiskError
