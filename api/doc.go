// Package api holds the data types of wactor's API, shared by the host
// (package host), the HTTP server (package server), the Go client (package
// client) and the CLI: actor and call options, actor, class and checkpoint
// information, log lines, node and namespace usage, the events a host
// reports to its Observer, and the errors with their codes. Each type's
// JSON form is the HTTP API's (docs/API.md); it is defined here once, so a
// change to the host's internals cannot change the wire format.
//
// It is a leaf: it imports only the standard library and package abi, so a
// program that uses the client links no WebAssembly engine.
package api
