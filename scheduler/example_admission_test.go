package scheduler_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/wactor/wactor/scheduler"
)

// An actor reserves its resources for its lifetime; a request that does not
// fit waits until another actor releases, and one that can never fit fails
// at once.
func ExampleAdmission() {
	ctx := context.Background()
	adm, err := scheduler.NewAdmission(scheduler.AdmissionConfig{
		CPU:    4,
		Memory: 1 << 30,
		Custom: map[string]float64{"accelerator": 1},
	})
	if err != nil {
		panic(err)
	}

	// Ray's default: an actor without requests reserves nothing.
	plain, _ := adm.Reserve(ctx, scheduler.Resources{}, 0)
	defer plain.Release()

	trainer, _ := adm.Reserve(ctx, scheduler.Resources{CPU: 3, Memory: 512 << 20, Custom: map[string]float64{"accelerator": 1}}, 0)
	cpu, _ := adm.Usage().Resource(scheduler.ResourceCPU)
	fmt.Printf("cpu: %v of %v reserved\n", cpu.Reserved, cpu.Capacity)

	// Needs 2 CPUs, 1 is free: waits, and gives up after its timeout.
	_, err = adm.Reserve(ctx, scheduler.Resources{CPU: 2}, 10*time.Millisecond)
	fmt.Println(errors.Is(err, scheduler.ErrAdmissionTimeout))
	var te *scheduler.AdmissionTimeoutError
	if errors.As(err, &te) {
		fmt.Printf("short of %s: requested %v, free %v of %v\n", te.Resource, te.Requested, te.Free, te.Capacity)
	}

	// Can never fit on this node.
	_, err = adm.Reserve(ctx, scheduler.Resources{GPU: 1}, time.Minute)
	fmt.Println(err)

	// Waits until the trainer is released.
	done := make(chan *scheduler.Reservation)
	go func() {
		r, err := adm.Reserve(ctx, scheduler.Resources{CPU: 2}, time.Minute)
		if err != nil {
			panic(err)
		}
		done <- r
	}()
	for adm.Usage().Waiting == 0 {
		time.Sleep(time.Millisecond)
	}
	trainer.Release()
	trainer.Release() // idempotent
	worker := <-done
	fmt.Println("admitted", worker.Resources())
	worker.Release()

	// Output:
	// cpu: 3 of 4 reserved
	// true
	// short of cpu: requested 2, free 1 of 4
	// scheduler: unschedulable: requested 1 gpu, the node has none
	// admitted cpu=2
}
