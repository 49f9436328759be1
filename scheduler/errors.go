package scheduler

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/wactor/wactor/api"
)

// Sentinel errors of package scheduler.
var (
	// ErrFull: the mailbox holds its capacity of items; the caller should slow down.
	ErrFull = errors.New("scheduler: mailbox full")
	// ErrClosed: the mailbox, pool or admission is closed.
	ErrClosed = errors.New("scheduler: closed")
	// ErrUnschedulable: a resource request can never be admitted on this
	// node, because it exceeds the node's total capacity or names a custom
	// resource the node lacks; *InsufficientResourcesError says which.
	ErrUnschedulable = errors.New("scheduler: unschedulable")
	// ErrAdmissionTimeout: a resource request waited for admission until its
	// timeout or its context's deadline; *AdmissionTimeoutError says what it
	// was waiting for.
	ErrAdmissionTimeout = errors.New("scheduler: admission timed out")
	// ErrInvalidResources: a request or capacity with a negative, NaN or
	// infinite amount, or a custom resource without a name or with a
	// built-in resource's name.
	ErrInvalidResources = errors.New("scheduler: invalid resources")
)

// InsufficientResourcesError reports a request that can never be admitted:
// Requested is more than the node's whole Capacity of Resource, which is
// zero for a custom resource the node lacks. Memory amounts are in bytes.
// It wraps ErrUnschedulable.
type InsufficientResourcesError struct {
	Resource  string
	Requested float64
	Capacity  float64
}

func (e *InsufficientResourcesError) Error() string {
	if e.Capacity == 0 {
		return fmt.Sprintf("scheduler: unschedulable: requested %s %s, the node has none",
			formatQuantity(e.Resource, e.Requested), e.Resource)
	}
	return fmt.Sprintf("scheduler: unschedulable: requested %s %s, the node has %s in all",
		formatQuantity(e.Resource, e.Requested), e.Resource, formatQuantity(e.Resource, e.Capacity))
}

// Unwrap returns ErrUnschedulable.
func (e *InsufficientResourcesError) Unwrap() error { return ErrUnschedulable }

// AdmissionTimeoutError reports a request that was still waiting when its
// timeout or its context's deadline passed. Resource names the resource it
// was short of at that moment, with the amounts Requested, Free and
// Capacity (bytes for memory). Resource is empty when the request fitted but
// was held behind Ahead earlier requests (see AdmissionConfig.HeadOfLineGrace),
// or, with Ahead zero, when it was admitted just as it gave up (the
// reservation is then given back). It wraps ErrAdmissionTimeout and
// context.DeadlineExceeded.
type AdmissionTimeoutError struct {
	Resource                  string
	Requested, Free, Capacity float64
	// Ahead is the number of requests queued ahead of this one.
	Ahead int
	// Waited is how long the request was queued.
	Waited time.Duration
}

func (e *AdmissionTimeoutError) Error() string {
	return fmt.Sprintf("scheduler: admission timed out after %v %s", e.Waited.Round(time.Microsecond), waitingFor(e.Resource, e.Requested, e.Free, e.Capacity, e.Ahead))
}

// Unwrap returns ErrAdmissionTimeout and context.DeadlineExceeded.
func (e *AdmissionTimeoutError) Unwrap() []error {
	return []error{ErrAdmissionTimeout, context.DeadlineExceeded}
}

// waitingFor describes what a queued request waits for: "waiting for cpu:
// requested 2, free 0 of 4".
func waitingFor(resource string, requested, free, capacity float64, ahead int) string {
	if resource == "" {
		if ahead == 0 {
			return "(admitted just as it gave up, and given back)"
		}
		s := "s"
		if ahead == 1 {
			s = ""
		}
		return "queued behind " + strconv.Itoa(ahead) + " earlier request" + s
	}
	return fmt.Sprintf("waiting for %s: requested %s, free %s of %s", resource,
		formatQuantity(resource, requested), formatQuantity(resource, free), formatQuantity(resource, capacity))
}

// formatQuantity formats an amount of resource (bytes for memory).
func formatQuantity(resource string, v float64) string {
	if resource == ResourceMemory && v < float64(unlimited) {
		return formatBytes(int64(v))
	}
	return formatAmount(v)
}

// apiError gives an error of the admission the API's vocabulary, so that
// a host's Spawn never returns this package's error types alone: an
// unschedulable request becomes *api.UnschedulableError, a timed-out one
// matches api.ErrAdmissionTimeout (and context.DeadlineExceeded), an
// invalid one api.ErrInvalidOptions, one refused on Close api.ErrClosed.
// The message stays the scheduler's, and its error stays in the chain.
func apiError(err error) error {
	var ie *InsufficientResourcesError
	switch {
	case errors.As(err, &ie):
		return &api.UnschedulableError{Resource: ie.Resource, Requested: ie.Requested, Capacity: ie.Capacity, Cause: err}
	case errors.Is(err, ErrAdmissionTimeout):
		return alsoIs{err, api.ErrAdmissionTimeout}
	case errors.Is(err, ErrInvalidResources):
		return alsoIs{err, api.ErrInvalidOptions}
	case errors.Is(err, ErrClosed): // the host is closing
		return alsoIs{err, api.ErrClosed}
	}
	return err
}

// alsoIs is err that also matches sentinel.
type alsoIs struct{ err, sentinel error }

func (e alsoIs) Error() string   { return e.err.Error() }
func (e alsoIs) Unwrap() []error { return []error{e.sentinel, e.err} }
