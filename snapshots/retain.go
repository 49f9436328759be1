package snapshots

// Retain applies checkpoint retention to list, a history of states oldest
// first: it keeps the newest keep of them (at least one) and drops the
// rest. kept reuses list's backing array (in order, oldest first); dropped
// is a new slice of the states dropped, oldest first, or nil. A store's
// retention on disk (Store.Put) keeps the same newest ones.
func Retain(list []*State, keep int) (kept, dropped []*State) {
	keep = max(keep, 1)
	n := len(list)
	if n <= keep {
		return list, nil
	}
	dropped = append(dropped, list[:n-keep]...)
	kept = append(list[:0], list[n-keep:]...)
	clear(list[len(kept):n]) // the backing array must not keep the dropped alive
	return kept, dropped
}
