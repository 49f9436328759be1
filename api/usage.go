package api

// NodeUsage is a host's resource use, for introspection (the server's GET
// /v1/node and its metrics).
type NodeUsage struct {
	// Actors counts the live actors (passivated ones included), Passive the
	// passivated ones, Sandboxes those holding a sandbox now.
	Actors    int `json:"actors"`
	Passive   int `json:"passive"`
	Sandboxes int `json:"sandboxes"`
	// MemoryBytes is the linear memory of the live sandboxes (pages shared
	// with a class template count in full); MemoryBudget is
	// Config.MemoryBudget (0: none).
	MemoryBytes  uint64 `json:"memory_bytes"`
	MemoryBudget int64  `json:"memory_budget,omitempty"`
	// PassiveBytes is what the passivated actors' states take.
	PassiveBytes int64 `json:"passive_bytes"`
	// LogBytes is what all actors' logs hold, the kept dead actors'
	// included (each line's text plus 64 bytes; Config.LogBytes,
	// Config.DeadLogBytes). DeadActors is how many dead actors are kept
	// (Config.KeepDead, Config.KeepDeadFor).
	LogBytes   int64 `json:"log_bytes"`
	DeadActors int   `json:"dead_actors"`
	// QueuedCalls is the calls queued in all mailboxes (Config.MaxQueuedCalls).
	QueuedCalls int64 `json:"queued_calls"`
	// Workers is the size of the pool that runs guest code.
	Workers int `json:"workers"`
	// Passivations and Reactivations count since the host started.
	Passivations  uint64 `json:"passivations"`
	Reactivations uint64 `json:"reactivations"`
	// Classes counts the loaded classes; ClassBytes is their modules' size
	// as uploaded and TemplateBytes what their templates hold (non-zero
	// pages), which together count against ClassMemoryBudget
	// (Config.ClassMemoryBudget). The bytes include loads in progress.
	Classes           int   `json:"classes"`
	ClassBytes        int64 `json:"class_bytes"`
	TemplateBytes     int64 `json:"template_bytes"`
	ClassMemoryBudget int64 `json:"class_memory_budget"`
	// Resources is the admission of actors' resource requests.
	Resources ResourceUsage `json:"resources"`
	// Slices counts the time slices the workers started (a mailbox taken
	// from a run queue, or a yielded call resumed), Preempts the slices
	// asked to yield because other calls waited, Yields the calls that gave
	// their worker away, since the host started (docs/SCHEDULING.md).
	Slices   uint64 `json:"slices"`
	Preempts uint64 `json:"preempts"`
	Yields   uint64 `json:"yields"`
}

// ResourceUsage is the accounting of the node's resources.
type ResourceUsage struct {
	// Reservations is the number of actors holding resources; Waiting the
	// spawns waiting for some.
	Reservations int `json:"reservations"`
	Waiting      int `json:"waiting"`
	// Items has cpu, gpu and memory (bytes), then custom resources.
	Items []ResourceAmount `json:"items"`
}

// ResourceAmount is one resource of the node.
type ResourceAmount struct {
	Name string `json:"name"`
	// Capacity is -1 when unlimited.
	Capacity float64 `json:"capacity"`
	Reserved float64 `json:"reserved"`
	// Pending is what waiting spawns ask for, Waiting how many ask for it.
	Pending float64 `json:"pending"`
	Waiting int     `json:"waiting"`
}

// NamespaceUsage is what one namespace holds on a host, against its quota.
type NamespaceUsage struct {
	// Namespace is the namespace reported on.
	Namespace string `json:"namespace"`
	// Actors counts the live actors (passivated ones and ones whose
	// constructor runs included).
	Actors int `json:"actors"`
	// MemoryBytes is the linear memory of the namespace's live sandboxes.
	MemoryBytes int64 `json:"memory_bytes"`
	// PendingCalls is the calls queued on its actors, not yet running.
	PendingCalls int64 `json:"pending_calls"`
	// Waiting is its guests blocked in call, await or spawn now.
	Waiting int64 `json:"waiting"`
	// Classes and ClassBytes are the classes the namespace loaded
	// (LoadClassIn) and their module bytes; classes loaded for every
	// namespace do not count.
	Classes    int   `json:"classes"`
	ClassBytes int64 `json:"class_bytes"`
	// Quota is the namespace's resolved quota (-1: unlimited).
	Quota Quota `json:"quota"`
}
