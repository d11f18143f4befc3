package lark

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"collabbot/adapters/lark/larkfake"
	"collabbot/bot"

	"github.com/prometheus/client_golang/prometheus"
)

func TestExpandMentions(t *testing.T) {
	ms := map[string]bot.User{
		"@_user_1":  {ID: "ou_bot", Name: "collabbot"},
		"@_user_2":  {ID: "ou_zhang", Name: "张三"},
		"@_user_12": {ID: "ou_wang", Name: "王五"},
	}
	text, users := expandMentions("@_user_1 @_user_12 请 @_user_2 和 @_user_12 看看 @_all", ms, "ou_bot")
	if text != "@王五 请 @张三 和 @王五 看看 @所有人" {
		t.Errorf("text = %q", text)
	}
	if len(users) != 2 || users[0].ID != "ou_wang" || users[1].ID != "ou_zhang" {
		t.Errorf("mentions = %+v (want order of appearance, bot excluded, no repeats)", users)
	}
}

func TestPostText(t *testing.T) {
	ms := map[string]bot.User{"@_user_1": {ID: "ou_bot", Name: "bot"}, "@_user_2": {ID: "ou_zhang", Name: "张三"}}
	flat := `{"title":"标题","content":[[{"tag":"at","user_id":"@_user_1","user_name":"bot"},{"tag":"text","text":" 【a-b-"},{"tag":"a","text":"c","href":"http://x"},{"tag":"text","text":"-d】"}],[{"tag":"at","user_id":"@_user_2"},{"tag":"img","image_key":"k"}]]}`
	got, users := expandMentions(postText(flat, ms), ms, "ou_bot")
	if got != "标题\n【a-b-c-d】\n@张三" || len(users) != 1 {
		t.Errorf("flat post: %q %+v", got, users)
	}
	byLang := `{"zh_cn":{"title":"","content":[[{"tag":"text","text":"hi "},{"tag":"at","user_id":"ou_li","user_name":"李四"}]]}}`
	ms2 := map[string]bot.User{}
	raw := postText(byLang, ms2)
	got, users = expandMentions(raw, ms2, "ou_bot")
	if got != "hi @李四" || len(users) != 1 || users[0].ID != "ou_li" {
		t.Errorf("language-keyed post: %q %+v", got, users)
	}
}

func TestPostMessageThroughFake(t *testing.T) {
	e := newEnv(t, nil)
	h := &stubHandler{}
	e.start(h)
	post := `{"title":"","content":[[{"tag":"at","user_id":"@_user_1","user_name":"bot"},{"tag":"text","text":" 进度 50% "},{"tag":"at","user_id":"@_user_2","user_name":"张三"}]]}`
	e.push(larkfake.Message{MessageID: "om_post", MsgType: "post", Content: post, Mentions: taskMentions,
		ParentID: "om_parent", RootID: "om_root", Sender: "ou_li"})
	e.push(larkfake.Message{MessageID: "om_img", MsgType: "image", Content: `{"image_key":"x"}`})
	e.push(larkfake.Message{MessageID: "om_self", Text: "echo", Sender: "ou_bot"})
	msgs := h.messages()
	if len(msgs) != 1 {
		t.Fatalf("want only the post handed over, got %+v", msgs)
	}
	m := msgs[0]
	if m.Text != "进度 50% @张三" || len(m.Mentions) != 1 || m.Mentions[0] != (bot.User{ID: "ou_zhang", Name: "张三"}) {
		t.Errorf("text %q mentions %+v", m.Text, m.Mentions)
	}
	if m.ReplyTo != "om_parent" || m.RootID != "om_root" || m.Direct || m.Platform != bot.PlatformLark ||
		m.ChatID != "oc_group" || m.Sender.ID != "ou_li" || m.Time.IsZero() {
		t.Errorf("fields: %+v", m)
	}
	if got := e.counter("collabbot_lark_events_dropped_total", "reason", "unsupported"); got != 2 {
		t.Errorf("unsupported metric = %v", got)
	}
}

func TestNeutralise(t *testing.T) {
	for _, in := range []string{
		`<at user_id="all"></at>`, `<AT user_id="all">x</AT>`, `< at id=all></at>`, "<\tAt id=all>",
		`</at><at user_id="ou_x">`, "@all", "@所有人", "<@all>",
	} {
		out := neutralise(in)
		if regexp.MustCompile(`(?i)<\s*/?\s*at`).MatchString(out) || strings.Contains(out, "@all") || strings.Contains(out, "@所有人") {
			t.Errorf("neutralise(%q) = %q still forms a mention", in, out)
		}
		if strings.ReplaceAll(out, zwsp, "") != in {
			t.Errorf("neutralise(%q) changed visible text: %q", in, out)
		}
	}
}

func TestRenderReplyMentions(t *testing.T) {
	zhang := bot.User{ID: "ou_zhang", Name: "张<三>"}
	r := bot.Reply{ChatID: "c", Mentions: []bot.User{zhang},
		Text: "hi " + bot.MentionToken(zhang) + " " + bot.MentionToken(bot.User{ID: "ou_stranger"}) + " <@all> " + `<at user_id="all"></at>`}
	typ, content, err := renderReply(r)
	if err != nil || typ != "text" {
		t.Fatal(typ, err)
	}
	var c struct{ Text string }
	if err := json.Unmarshal([]byte(content), &c); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(c.Text, `<at user_id="ou_zhang">张三</at>`) {
		t.Errorf("listed mention not rendered: %q", c.Text)
	}
	if strings.Count(c.Text, "<at ") != 1 {
		t.Errorf("only the listed user may be mentioned: %q", c.Text)
	}
	r.Card = &bot.Card{Title: "#1 " + bot.MentionToken(zhang), Template: "purple-ish", Body: "负责人 " + bot.MentionToken(zhang),
		Buttons: []bot.Button{{Action: bot.ActionDone, TaskID: 42, Primary: true}, {Action: bot.ActionAssist, TaskID: 42}}}
	typ, content, err = renderReply(r)
	if err != nil || typ != "interactive" {
		t.Fatal(typ, err)
	}
	for _, want := range []string{`<at id=ou_zhang></at>`, `"template":"blue"`, `"content":"完成"`, `"content":"需协助"`,
		`"value":{"action":"done","task":"42"}`, `"type":"primary"`, `"content":"#1 @张<三>"`} {
		if !strings.Contains(unescapeHTML(content), want) {
			t.Errorf("card lacks %s: %s", want, unescapeHTML(content))
		}
	}
	if _, _, err := renderReply(bot.Reply{ChatID: "c", Text: "  "}); err == nil {
		t.Error("empty text accepted")
	}
}

func unescapeHTML(s string) string {
	return strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(s)
}

func TestSendUUID(t *testing.T) {
	a := &Adapter{}
	k1, k2 := a.sendUUID("reply:lark:om_1"), a.sendUUID("reply:lark:om_1")
	if k1 != k2 || len(k1) > 50 || len(k1) == 0 {
		t.Errorf("uuid for a key must be stable and ≤50 chars: %q %q", k1, k2)
	}
	if a.sendUUID(strings.Repeat("x", 500)) == k1 || a.sendUUID("") == a.sendUUID("") {
		t.Error("uuids collide")
	}
}

func TestClassify(t *testing.T) {
	a := &Adapter{red: newRedactor("s3cr3t-value")}
	h := http.Header{}
	h.Set("x-ogw-ratelimit-reset", "7")
	cases := []struct {
		res    apiResult
		reason bot.Reason
		retry  bool
		after  time.Duration
	}{
		{apiResult{status: 429, code: 99991400, header: h}, bot.ReasonThrottled, true, 7 * time.Second},
		{apiResult{status: 400, code: 230020}, bot.ReasonThrottled, true, 0},
		{apiResult{status: 503}, bot.ReasonTransient, true, 0},
		{apiResult{status: 400, code: 230002}, bot.ReasonGone, false, 0},
		{apiResult{status: 400, code: 230001}, bot.ReasonInvalid, false, 0},
		{apiResult{status: 400, code: 99991672}, bot.ReasonAuth, false, 0},
		{apiResult{status: 400, code: 99991663}, bot.ReasonAuth, true, 0},
	}
	for _, c := range cases {
		se := a.classify(c.res, nil)
		if se == nil || se.Reason != c.reason || se.Retry != c.retry || se.RetryAfter != c.after {
			t.Errorf("%+v → %+v", c.res, se)
		}
	}
	if a.classify(apiResult{status: 200}, nil) != nil {
		t.Error("success classified as failure")
	}
	se := a.classify(apiResult{}, &http.ProtocolError{ErrorString: "boom s3cr3t-value Bearer t-abcdefghijkl"})
	if se.Reason != bot.ReasonTransient || strings.Contains(se.Error(), "s3cr3t") || strings.Contains(se.Error(), "t-abcdefghijkl") {
		t.Errorf("network error: %v", se)
	}
}

func TestConfigValidation(t *testing.T) {
	if _, err := New(Config{AppID: "a"}, nil, nil); err == nil {
		t.Error("missing secret accepted")
	}
	if _, err := New(Config{AppID: "a", AppSecret: "b", Mode: "smoke"}, nil, nil); err == nil {
		t.Error("bad mode accepted")
	}
	if _, err := New(Config{AppID: "a", AppSecret: "b", Mode: ModeWebhook}, nil, nil); err == nil {
		t.Error("webhook mode without encrypt key or token accepted")
	}
	ad, err := New(Config{AppID: "a", AppSecret: "b"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ad.cfg.BaseURL != FeishuBaseURL || ad.cfg.Mode != ModeWS || ad.Platform() != bot.PlatformLark || !ad.SendsCards() {
		t.Errorf("defaults: %+v", ad.cfg)
	}
	reg := prometheus.NewRegistry()
	if _, err := New(Config{AppID: "a", AppSecret: "b"}, nil, reg); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Config{AppID: "a", AppSecret: "b"}, nil, reg); err == nil {
		t.Error("second adapter on the same registry: want an error, not a panic")
	}
}

func TestDecryptWrongKeyNeverPanics(t *testing.T) {
	for i := range 300 {
		body := larkfake.Encrypt([]byte(`{"type":"x","n":`+strings.Repeat("1", i%40+1)+`}`), "right-key")
		var env struct{ Encrypt string }
		if err := json.Unmarshal(body, &env); err != nil {
			t.Fatal(err)
		}
		_, _ = decrypt(env.Encrypt, "wrong-key") // must not panic
		if p, err := decrypt(env.Encrypt, "right-key"); err != nil || !json.Valid(p) {
			t.Fatalf("right key: %q %v", p, err)
		}
	}
}
