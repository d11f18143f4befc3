package store

import (
	"errors"
	"testing"
)

func TestProjectRoundTrip(t *testing.T) {
	db := openTest(t)
	err := db.View(func(tx *Tx) error {
		if _, err := tx.Project(gk); !errors.Is(err, ErrNotFound) {
			t.Errorf("no group yet: %v, want ErrNotFound", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *Tx) error {
		if _, err := tx.EnsureGroup(gk, t0); err != nil {
			return err
		}
		if _, err := tx.Project(gk); !errors.Is(err, ErrNotFound) {
			t.Errorf("no project yet: %v, want ErrNotFound", err)
		}
		return tx.PutProject(&Project{Group: gk, Goal: "Q3新产品上线", Initiator: User{ID: "zs", Name: "张三"}, CreatedAt: t0,
			Milestones: []Milestone{{Name: "需求评审", Deadline: "9月30日", Due: t0, TaskID: 1}},
			Retro:      []RetroLine{{Kind: "highlight", Text: "进度同步及时", By: User{ID: "zl", Name: "赵六"}, At: t0}}})
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.View(func(tx *Tx) error {
		p, err := tx.Project(gk)
		if err != nil {
			return err
		}
		if p.Goal != "Q3新产品上线" || p.Closed() || len(p.Milestones) != 1 || p.Milestones[0].TaskID != 1 ||
			len(p.Retro) != 1 || !p.CreatedAt.Equal(t0) {
			t.Errorf("read back %+v", p)
		}
		if err := tx.PutProject(p); err == nil {
			t.Error("PutProject in a read-only transaction succeeded")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
