package host

// Usage reports the host's resource use now.
func (h *Host) Usage() NodeUsage {
	u := NodeUsage{
		MemoryBudget: h.cfg.MemoryBudget, PassiveBytes: h.passiveBytes.Load(), QueuedCalls: h.queued.Load(),
		Workers: h.cfg.Workers, Passivations: h.passivations.Load(), Reactivations: h.reactivations.Load(),
	}
	u.ClassBytes, u.TemplateBytes, u.ClassMemoryBudget = h.classes.Budget()
	st := h.pool.Stats()
	u.Slices, u.Preempts, u.Yields = st.Slices, st.Preempts, st.Yields
	u.Classes = h.classes.Len()
	h.pruneDead()
	h.mu.Lock()
	actors := h.dir.List()
	u.DeadActors = h.dead.Len()
	h.mu.Unlock()
	u.LogBytes = h.logs.Held()
	u.Actors = len(actors)
	for _, a := range actors { // Host.mu not held: actor.mu comes before it
		a.mu.Lock()
		if a.state == StatePassive {
			u.Passive++
		}
		a.mu.Unlock()
	}
	u.Sandboxes, u.MemoryBytes = h.sweeper.Live()
	u.Resources = h.admit.Usage().API()
	return u
}
