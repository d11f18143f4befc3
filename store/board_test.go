package store

import (
	"errors"
	"testing"
)

func TestBoardLinks(t *testing.T) {
	db := openTest(t)
	other := GroupKey{Platform: "dingtalk", ChatID: "cid"}
	by := User{ID: "ls", Name: "李四"}
	// Reading before anything exists: not found, no bucket needed.
	err := db.View(func(tx *Tx) error {
		if _, err := tx.BoardLink(gk); !errors.Is(err, ErrNotFound) {
			t.Errorf("BoardLink on a missing group: %v", err)
		}
		if _, err := tx.BoardGroup("tok"); !errors.Is(err, ErrNotFound) {
			t.Errorf("BoardGroup before any link: %v", err)
		}
		if err := tx.SetBoardLink(gk, BoardLink{Token: "a"}); err == nil {
			t.Error("SetBoardLink in a read transaction or on a missing group succeeded")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *Tx) error {
		for _, k := range []GroupKey{gk, other} {
			if _, err := tx.EnsureGroup(k, t0); err != nil {
				return err
			}
		}
		if err := tx.SetBoardLink(gk, BoardLink{Token: "tok-1", IssuedAt: t0, IssuedBy: by}); err != nil {
			return err
		}
		if err := tx.SetBoardLink(other, BoardLink{Token: "tok-1", IssuedAt: t0}); !errors.Is(err, ErrConflict) {
			t.Errorf("reusing a token: %v, want ErrConflict", err)
		}
		if err := tx.SetBoardLink(other, BoardLink{}); !errors.Is(err, ErrConflict) {
			t.Errorf("empty token: %v, want ErrConflict", err)
		}
		return tx.SetBoardLink(other, BoardLink{Token: "tok-other", IssuedAt: t0})
	})
	if err != nil {
		t.Fatal(err)
	}
	check := func(token string, want GroupKey, ok bool) {
		t.Helper()
		_ = db.View(func(tx *Tx) error {
			got, err := tx.BoardGroup(token)
			switch {
			case ok && (err != nil || got != want):
				t.Errorf("BoardGroup(%q) = %v, %v; want %v", token, got, err, want)
			case !ok && !errors.Is(err, ErrNotFound):
				t.Errorf("BoardGroup(%q) = %v, %v; want ErrNotFound", token, got, err)
			}
			return nil
		})
	}
	check("tok-1", gk, true)
	check("tok-other", other, true)
	check("", GroupKey{}, false)
	// Reset: the old token stops working in the same transaction.
	err = db.Update(func(tx *Tx) error {
		return tx.SetBoardLink(gk, BoardLink{Token: "tok-2", IssuedAt: t0, IssuedBy: by})
	})
	if err != nil {
		t.Fatal(err)
	}
	check("tok-1", GroupKey{}, false)
	check("tok-2", gk, true)
	check("tok-other", other, true)
	_ = db.View(func(tx *Tx) error {
		l, err := tx.BoardLink(gk)
		if err != nil || l.Token != "tok-2" || l.IssuedBy != by {
			t.Errorf("BoardLink = %+v, %v", l, err)
		}
		return nil
	})
}
