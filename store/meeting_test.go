package store

import (
	"errors"
	"testing"
	"time"
)

func TestMeetingsCreateGetPut(t *testing.T) {
	db := openTest(t)
	err := db.Update(func(tx *Tx) error {
		_, err := tx.EnsureGroup(gk, t0)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// Reading a group that never had a meeting is fine.
	err = db.View(func(tx *Tx) error {
		if _, err := tx.Meeting(gk, 1); !errors.Is(err, ErrNotFound) {
			t.Errorf("Meeting(1) on an empty group: %v", err)
		}
		if _, err := tx.Meeting(GroupKey{Platform: "x", ChatID: "y"}, 1); !errors.Is(err, ErrNotFound) {
			t.Errorf("Meeting on an unknown group: %v", err)
		}
		return tx.Meetings(gk, func(*Meeting) error { return errors.New("called") })
	})
	if err != nil {
		t.Fatal(err)
	}
	other := GroupKey{Platform: "dingtalk", ChatID: "cid"}
	var ids []int64
	err = db.Update(func(tx *Tx) error {
		if _, err := tx.EnsureGroup(other, t0); err != nil {
			return err
		}
		for _, k := range []GroupKey{gk, gk, other} {
			m := &Meeting{Group: k, Topic: "需求评审", Start: t0.Add(24 * time.Hour), End: t0.Add(25 * time.Hour),
				Organizer: User{ID: "ls", Name: "李四"}, Attendees: []User{{ID: "zs", Name: "张三"}}, CreatedAt: t0}
			if err := tx.NewMeeting(m); err != nil {
				return err
			}
			ids = append(ids, m.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if ids[0] != 1 || ids[1] != 2 || ids[2] != 1 {
		t.Errorf("ids %v, want per-group 1 2 1", ids)
	}
	err = db.Update(func(tx *Tx) error {
		m, err := tx.Meeting(gk, 2)
		if err != nil {
			return err
		}
		m.Minutes = append(m.Minutes, Minutes{At: t0, By: m.Organizer, Decisions: []string{"上线"}, Tasks: []int64{3}})
		m.MinutesReminded = 1
		if err := tx.PutMeeting(m); err != nil {
			return err
		}
		if err := tx.PutMeeting(&Meeting{ID: 9, Group: gk}); !errors.Is(err, ErrNotFound) {
			t.Errorf("PutMeeting of an unknown id: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.View(func(tx *Tx) error {
		var got []*Meeting
		if err := tx.Meetings(gk, func(m *Meeting) error { got = append(got, m); return nil }); err != nil {
			return err
		}
		if len(got) != 2 || got[0].HasMinutes() || !got[1].HasMinutes() || got[1].Minutes[0].Tasks[0] != 3 || got[1].MinutesReminded != 1 {
			t.Errorf("meetings after put: %+v", got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
