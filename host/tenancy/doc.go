// Package tenancy is what each namespace holds and may hold on a host
// (docs/SEMANTICS.md, "Namespaces"): every tenant is hostile, so no
// namespace takes more than its quota, and none sees another's classes.
//
// Namespaces accounts each namespace's live actors, the linear memory of
// its sandboxes (a Namespace is the sandbox.Meter they charge), its queued
// calls and its guests waiting in call, await or spawn, against its quota
// (Config.Quota, Config.Quotas, Host.SetQuota).
//
// Registry holds a host's loaded classes: it compiles each module once
// (sandbox.Compile, within the class memory budget), records which
// namespaces claim a class (their class quotas), answers what a namespace
// may see, unloads a class no namespace claims, and keeps the classes and
// their claims in the host's data directory (journal.Store). Whether live
// actors use a class is the host's knowledge: it tells the Registry through
// RegistryConfig.InUse.
//
// The package never imports host: the host holds a Namespaces and a
// Registry and keeps thin public methods over them.
package tenancy
