package snapshots_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/wactor/wactor/snapshots"
)

func ExampleDirStore() {
	dir, err := os.MkdirTemp("", "snapshots")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()

	// Keep the newest 2 snapshots of each actor.
	store, err := snapshots.NewDirStore(dir, 2)
	if err != nil {
		log.Fatal(err)
	}
	mem := make([]byte, 16*snapshots.PageSize) // 1 MiB of linear memory
	for calls := uint64(1); calls <= 4; calls++ {
		mem[calls*snapshots.PageSize] = byte(calls) // each call dirties one page
		taken := time.Date(2025, 1, 1, 0, 0, int(calls), 0, time.UTC)
		st := &snapshots.State{
			ID:      fmt.Sprintf("ck-%d", calls),
			ClassID: "counter",
			ActorID: "actor-1",
			Memory:  snapshots.ImageOf(mem),
			Globals: map[uint32]uint64{0: 65536 - calls},
			Taken:   taken,
			Calls:   calls,
		}
		if _, err := store.Put(ctx, st); err != nil {
			log.Fatal(err)
		}
	}

	// The newest 2, and the full snapshot they were taken against.
	metas, err := store.List(ctx, "actor-1")
	if err != nil {
		log.Fatal(err)
	}
	for _, m := range metas {
		fmt.Printf("%s after %d calls, base %q\n", m.ID, m.Calls, m.Base)
	}

	// After a restart, open the directory again and restore the newest.
	store, err = snapshots.NewDirStore(dir, 2)
	if err != nil {
		log.Fatal(err)
	}
	st, skipped, err := store.Latest(ctx, "actor-1")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(st.ID, st.Calls, st.Globals[0], st.Memory.Len(), len(skipped))
	// Output:
	// ck-4 after 4 calls, base "ck-1"
	// ck-3 after 3 calls, base "ck-1"
	// ck-1 after 1 calls, base ""
	// ck-4 4 65532 1048576 0
}
