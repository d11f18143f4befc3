package store

import (
	"errors"
	"testing"
	"time"
)

func TestIncidentsCreateListUpdate(t *testing.T) {
	db := openTest(t)
	other := GroupKey{Platform: "lark", ChatID: "oc_2"}
	err := db.Update(func(tx *Tx) error {
		for _, k := range []GroupKey{gk, other} {
			if _, err := tx.EnsureGroup(k, t0); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Reading a group that never had an incident creates nothing.
	err = db.View(func(tx *Tx) error {
		c, err := tx.IncidentConfig(gk)
		if err != nil || len(c.Responders) != 0 {
			t.Errorf("config of a new group: %+v %v", c, err)
		}
		if _, err := tx.Incident(gk, 1); !errors.Is(err, ErrNotFound) {
			t.Errorf("Incident(1) of a new group: %v", err)
		}
		if _, err := tx.Incident(GroupKey{Platform: "x", ChatID: "none"}, 1); !errors.Is(err, ErrNotFound) {
			t.Errorf("Incident of an unknown group: %v", err)
		}
		n := 0
		return tx.Incidents(gk, func(*Incident) error { n++; return nil })
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *Tx) error {
		if err := tx.PutIncidentConfig(gk, &IncidentConfig{Responders: []User{{ID: "a", Name: "甲"}}, SetAt: t0}); err != nil {
			return err
		}
		for _, k := range []GroupKey{gk, gk, other} {
			if err := tx.NewIncident(&Incident{Group: k, Problem: "官网无法访问", StartedAt: t0}); err != nil {
				return err
			}
		}
		i, err := tx.Incident(gk, 2)
		if err != nil {
			return err
		}
		i.ResolvedAt, i.Cause = t0.Add(time.Hour), "连接池溢出"
		return tx.PutIncident(i)
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.View(func(tx *Tx) error {
		c, err := tx.IncidentConfig(gk)
		if err != nil || len(c.Responders) != 1 || c.Responders[0].Name != "甲" {
			t.Errorf("config: %+v %v", c, err)
		}
		var ids []int64
		open := 0
		if err := tx.Incidents(gk, func(i *Incident) error {
			ids = append(ids, i.ID)
			if i.Open() {
				open++
			}
			return nil
		}); err != nil {
			return err
		}
		if len(ids) != 2 || ids[0] != 1 || ids[1] != 2 || open != 1 {
			t.Errorf("incidents %v, %d open", ids, open)
		}
		if i, err := tx.Incident(other, 1); err != nil || i.Group != other {
			t.Errorf("the other group's #I1: %+v %v", i, err)
		}
		if err := tx.PutIncident(&Incident{Group: gk, ID: 9}); !errors.Is(err, ErrNotFound) && err == nil {
			t.Errorf("PutIncident in a read tx: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *Tx) error {
		if err := tx.PutIncident(&Incident{Group: gk, ID: 9}); !errors.Is(err, ErrNotFound) {
			t.Errorf("PutIncident of a missing incident: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
