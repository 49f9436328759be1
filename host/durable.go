package host

import (
	"fmt"
	"log/slog"

	"github.com/wactor/wactor/host/journal"
	"github.com/wactor/wactor/internal/fsys"
)

// persist is where a host with a DataDir keeps what survives it (package
// journal: classes, durable actors' metadata, journals and snapshots).
type persist = journal.Store

func openPersist(fsy fsys.FS, dir string, mode Durability, keep int, log *slog.Logger) (*persist, error) {
	p, err := journal.Open(journal.Config{Dir: dir, Mode: mode, Keep: keep, FS: fsy, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("host: %w", err)
	}
	return p, nil
}

// durable reports whether an actor with these options outlives the host.
func (h *Host) durable(o Options) bool {
	return h.persist != nil && (o.Durable || o.Detached)
}

// diskError is a file-system failure described without its file's path
// (journal.DiskError): error messages never show server paths.
type diskError = journal.DiskError
