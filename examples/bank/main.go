//go:build wasip1

// Command bank is an actor class for one bank account: a constructor with
// two arguments and application errors that leave the state unchanged.
package main

import (
	"math"

	wactor "github.com/wactor/wactor/guest-sdk/go"
)

var (
	owner   string
	balance int64
)

func init() { wactor.SetClass("bank", "A bank account.") }

var _ = wactor.Init2(func(o string, initial int64) error {
	if initial < 0 {
		return wactor.Errorf("invalid_amount", "initial balance %d is negative", initial)
	}
	owner, balance = o, initial
	return nil
}).Doc("Opens the account of owner with an initial balance.")

var deposit = wactor.Method1("deposit", func(n int64) (int64, error) {
	if n <= 0 {
		return 0, wactor.Errorf("invalid_amount", "deposit of %d: the amount must be positive", n)
	}
	if balance > math.MaxInt64-n {
		return 0, wactor.NewError("overflow", "the balance would overflow")
	}
	balance += n
	return balance, nil
}).Doc("Adds n (> 0), returns the new balance.")

var withdraw = wactor.Method1("withdraw", func(n int64) (int64, error) {
	if n <= 0 {
		return 0, wactor.Errorf("invalid_amount", "withdrawal of %d: the amount must be positive", n)
	}
	if n > balance {
		return 0, wactor.Errorf("insufficient_funds", "cannot withdraw %d from a balance of %d", n, balance)
	}
	balance -= n
	return balance, nil
}).Doc("Takes n (> 0) out, returns the new balance (error insufficient_funds, balance unchanged).")

var getBalance = wactor.Method0("balance", func() (int64, error) {
	return balance, nil
}).Doc("Returns the balance.")

var getOwner = wactor.Method0("owner", func() (string, error) {
	return owner, nil
}).Doc("Returns the owner.")

//go:wasmexport deposit
func depositExport(ptr, size uint32) uint64 { return deposit.Call(ptr, size) }

//go:wasmexport withdraw
func withdrawExport(ptr, size uint32) uint64 { return withdraw.Call(ptr, size) }

//go:wasmexport balance
func balanceExport(ptr, size uint32) uint64 { return getBalance.Call(ptr, size) }

//go:wasmexport owner
func ownerExport(ptr, size uint32) uint64 { return getOwner.Call(ptr, size) }

func main() {}
