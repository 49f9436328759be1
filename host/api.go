package host

import (
	"github.com/wactor/wactor/api"
	"github.com/wactor/wactor/host/tenancy"
)

// The API's data types and errors, defined once in package api (their JSON
// form is the HTTP API's) and named here too, so that a program using the
// host alone needs one import. errors.Is and errors.As work across: these
// are the same types and values.

type (
	DamagedError       = api.DamagedError
	ModuleError        = api.ModuleError
	TrapReason         = api.TrapReason
	TrapError          = api.TrapError
	AppError           = api.AppError
	DeathReason        = api.DeathReason
	ActorDiedError     = api.ActorDiedError
	UnschedulableError = api.UnschedulableError
	NameError          = api.NameError
	State              = api.State
	Damage             = api.Damage
	ActorInfo          = api.ActorInfo
	CallOptions        = api.CallOptions
	CheckpointInfo     = api.CheckpointInfo
	LogLine            = api.LogLine
	LogStats           = api.LogStats
	LogPage            = api.LogPage
	ClassInfo          = api.ClassInfo
	NodeResources      = api.NodeResources
	Options            = api.Options
	Durability         = api.Durability
	Quota              = api.Quota
	NodeUsage          = api.NodeUsage
	NamespaceUsage     = api.NamespaceUsage
	Observer           = api.Observer
	CallEvent          = api.CallEvent
	ActorEvent         = api.ActorEvent
)

// nopObserver is the Observer of a Config without one.
type nopObserver struct{}

func (nopObserver) CallDone(CallEvent)      {}
func (nopObserver) ActorChanged(ActorEvent) {}

// ForbiddenObserver is an Observer that also wants to know about refused
// accesses across namespaces (ErrForbidden): a tenant probing another's
// actors shows up here. The host calls Forbidden if its Observer implements
// it.
type ForbiddenObserver interface {
	Forbidden(e ForbiddenEvent)
}

// ForbiddenEvent describes one refused access (tenancy.ForbiddenEvent).
type ForbiddenEvent = tenancy.ForbiddenEvent

// Sentinel errors (api/errors.go).
var (
	ErrClosed             = api.ErrClosed
	ErrClassNotFound      = api.ErrClassNotFound
	ErrActorNotFound      = api.ErrActorNotFound
	ErrMethodNotFound     = api.ErrMethodNotFound
	ErrArity              = api.ErrArity
	ErrInvalidModule      = api.ErrInvalidModule
	ErrInvalidOptions     = api.ErrInvalidOptions
	ErrInvalidArgument    = api.ErrInvalidArgument
	ErrTooLarge           = api.ErrTooLarge
	ErrActorDied          = api.ErrActorDied
	ErrBackpressure       = api.ErrBackpressure
	ErrNameTaken          = api.ErrNameTaken
	ErrReturnCount        = api.ErrReturnCount
	ErrTrap               = api.ErrTrap
	ErrApp                = api.ErrApp
	ErrOutOfFuel          = api.ErrOutOfFuel
	ErrDeadlock           = api.ErrDeadlock
	ErrClassInUse         = api.ErrClassInUse
	ErrCheckpointNotFound = api.ErrCheckpointNotFound
	ErrQuota              = api.ErrQuota
	ErrForbidden          = api.ErrForbidden
	ErrPersist            = api.ErrPersist
	ErrDamaged            = api.ErrDamaged
	ErrInvalidName        = api.ErrInvalidName
	ErrUnschedulable      = api.ErrUnschedulable
	ErrAdmissionTimeout   = api.ErrAdmissionTimeout
)

// Constants of the API (states, reasons, modes, limits).
const (
	TrapGuest              = api.TrapGuest
	TrapDeadline           = api.TrapDeadline
	TrapCancelled          = api.TrapCancelled
	TrapMemory             = api.TrapMemory
	TrapABI                = api.TrapABI
	TrapKilled             = api.TrapKilled
	TrapFuel               = api.TrapFuel
	DeathKilled            = api.DeathKilled
	DeathExited            = api.DeathExited
	DeathRestartsExhausted = api.DeathRestartsExhausted
	DeathHostClosed        = api.DeathHostClosed
	DeathInitFailed        = api.DeathInitFailed
	DeathOwnerGone         = api.DeathOwnerGone
	DeathDiscarded         = api.DeathDiscarded
	MaxNameBytes           = api.MaxNameBytes
	StatePending           = api.StatePending
	StateAlive             = api.StateAlive
	StateRestarting        = api.StateRestarting
	StateDead              = api.StateDead
	StatePassive           = api.StatePassive
	StateDamaged           = api.StateDamaged
	MaxLogLine             = api.MaxLogLine
	DurabilitySync         = api.DurabilitySync
	DurabilityWrite        = api.DurabilityWrite
	DurabilityCheckpoint   = api.DurabilityCheckpoint
	MaxMemoryPages         = api.MaxMemoryPages
	DefaultNamespace       = api.DefaultNamespace
	Unlimited              = api.Unlimited
)

// Ptr is api.Ptr, for Options' optional fields: Ptr(0) is an explicit zero.
func Ptr[T any](v T) *T { return api.Ptr(v) }
