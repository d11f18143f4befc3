// Package platformtest is the contract every chat platform adapter keeps
// with the bot, as one suite each adapter runs against its own fake, in the
// spirit of testing/slogtest: the adapter's test supplies a Driver, Run
// drives a real bot (bottest) through it and checks what the fake platform
// saw and what the store holds.
//
// The contract, one subtest each:
//
//   - StartContextBoundsOnlyStart: Start's context bounds the start only;
//     the adapter runs until Close. The subtests that run a pipeline are
//     skipped when it fails, since bottest.Start cancels that context.
//   - AckAfterCommit: an event is acknowledged only once it is committed.
//   - RedeliveryAnswersOnce: a redelivered message is answered once.
//   - RestartLosesNothing: a stop right after the acks loses no message.
//   - CloseBeforeStart: Close without Start, twice, leaks nothing.
//   - NoSecretsInLogsOrErrors: credentials never reach logs or errors.
//   - NeverMentionsAll: nothing a user types makes the bot @all.
//   - ThrottledSendArrivesOnce: a throttled reply still arrives, once.
//   - ScheduledMessageCrashMidSend: a stop during a send posts a scheduled
//     message at most once, and exactly once on an idempotent route.
package platformtest

import (
	"bytes"
	"sync"
	"testing"

	"collabbot/bot/chat"
)

// Driver connects the suite to one adapter and its fake platform.
type Driver interface {
	// Platform is the adapter's chat.Platform* name.
	Platform() string
	// NewFake starts a fresh fake platform for one subtest; it is torn down
	// at t's cleanup (after the pipelines the subtest started).
	NewFake(t *testing.T) Fake
}

// Fake is one fake platform and the adapters wired to it.
type Fake interface {
	// NewAdapter builds a fresh adapter (not started) connected to the
	// fake and logging into its log capture. A restart builds another.
	NewAdapter(t *testing.T) chat.Adapter
	// Member is the platform user a group member with this display name is
	// (its id the one the platform would put in a mention).
	Member(name string) chat.User
	// Deliver makes the platform deliver a group message addressed to the
	// bot (the bot is @-mentioned as the platform does it) to the adapter
	// started last, and returns once the platform has the adapter's
	// acknowledgement (or gave up waiting); acked reports a success ack.
	// text is what the user typed, each mention written "@Name"; mentions
	// are those users (from Member), which the driver makes real platform
	// mentions. The same msgID again is a redelivery of that message.
	// Deliver may be called from several goroutines; it reports problems
	// with t.Error, never t.Fatal.
	Deliver(t *testing.T, chatID, msgID, text string, mentions ...chat.User) (acked bool)
	// OnAck sets a function the fake calls the instant it receives a
	// success ack for a delivered message (before Deliver returns), with
	// the message id; nil removes it.
	OnAck(f func(msgID string))
	// Posts are the messages the platform shows as posted, in order:
	// card updates are not posts, and a send the platform deduplicates
	// (Lark uuid, DingTalk outTrackId) is one post.
	Posts() []Post
	// Throttle makes the next n send calls, whatever their route, fail
	// with the platform's throttling answer.
	Throttle(n int)
	// HangNextSend makes the next send call reach the platform, be
	// recorded as posted, and then get no answer until release is called
	// or the caller gives up. reached is closed when the call is hanging.
	HangNextSend() (reached <-chan struct{}, release func())
	// Secrets are the credentials the adapters were configured with or
	// were handed by the platform so far (tokens, webhook sessions).
	Secrets() []string
	// Logs is everything the adapters logged.
	Logs() string
}

// Post is one message as the platform shows it.
type Post struct {
	// ChatID is the chat it appeared in ("" when the fake cannot tell).
	ChatID string
	// ReplyTo is the message it answers, on platforms that thread replies
	// ("" otherwise).
	ReplyTo string
	// Text is the rendered content: text, markdown, or a card's strings.
	Text string
	// MentionedIDs are the users the platform notifies (real mentions).
	MentionedIDs []string
	// MentionsAll reports a mention of everyone in the chat.
	MentionsAll bool
}

// Skipper is optional on a Driver: a subtest that cannot apply to the
// platform at all is skipped with the reason Skip returns ("" = run it).
type Skipper interface {
	Skip(subtest string) (reason string)
}

// LogBuffer is a log sink safe for concurrent writes, for the drivers'
// slog handlers.
type LogBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
