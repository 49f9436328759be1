package scheduler

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/wactor/wactor/api"
)

// TestAdmissionErrorVocabulary: every error of the admission (what a
// host's Spawn can return) matches an api sentinel, keeps its message, and
// keeps the scheduler's error in its chain.
func TestAdmissionErrorVocabulary(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want error
	}{
		{&InsufficientResourcesError{Resource: "gpu", Requested: 1}, api.ErrUnschedulable},
		{&AdmissionTimeoutError{Resource: "cpu", Requested: 1}, api.ErrAdmissionTimeout},
		{fmt.Errorf("%w: negative memory", ErrInvalidResources), api.ErrInvalidOptions},
		{ErrClosed, api.ErrClosed},
	} {
		got := apiError(tc.err)
		if !errors.Is(got, tc.want) || !errors.Is(got, tc.err) || got.Error() != tc.err.Error() {
			t.Errorf("apiError(%v) = %v: want it to match %v and the scheduler's error", tc.err, got, tc.want)
		}
	}
	var ue *api.UnschedulableError
	if !errors.As(apiError(&InsufficientResourcesError{Resource: "gpu", Requested: 2, Capacity: 1}), &ue) ||
		ue.Resource != "gpu" || ue.Requested != 2 || ue.Capacity != 1 {
		t.Errorf("unschedulable: %+v", ue)
	}
	if !errors.Is(apiError(&AdmissionTimeoutError{}), context.DeadlineExceeded) {
		t.Error("an admission timeout does not match context.DeadlineExceeded")
	}
}
