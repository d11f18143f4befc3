package lark

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	larkim "github.com/larksuite/oapi-sdk-go/v3/service/im/v1"
	"github.com/prometheus/client_golang/prometheus"
	"go.yaml.in/yaml/v3"

	"collabbot/adapters/lark/larkfake"
	"collabbot/adapters/platform"
	"collabbot/bot/chat"
)

func TestExpandMentions(t *testing.T) {
	ms := map[string]chat.User{
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
	ms := map[string]chat.User{"@_user_1": {ID: "ou_bot", Name: "bot"}, "@_user_2": {ID: "ou_zhang", Name: "张三"}}
	flat := `{"title":"标题","content":[[{"tag":"at","user_id":"@_user_1","user_name":"bot"},{"tag":"text","text":" 【a-b-"},{"tag":"a","text":"c","href":"http://x"},{"tag":"text","text":"-d】"}],[{"tag":"at","user_id":"@_user_2"},{"tag":"img","image_key":"k"}]]}`
	got, users := expandMentions(postText(flat, ms), ms, "ou_bot")
	if got != "标题\n【a-b-c-d】\n@张三" || len(users) != 1 {
		t.Errorf("flat post: %q %+v", got, users)
	}
	byLang := `{"zh_cn":{"title":"","content":[[{"tag":"text","text":"hi "},{"tag":"at","user_id":"ou_li","user_name":"李四"}]]}}`
	ms2 := map[string]chat.User{}
	raw := postText(byLang, ms2)
	got, users = expandMentions(raw, ms2, "ou_bot")
	if got != "hi @李四" || len(users) != 1 || users[0].ID != "ou_li" {
		t.Errorf("language-keyed post: %q %+v", got, users)
	}
}

// convert runs a fake event through the SDK's decoding and the adapter's
// conversion, as onMessage does before Accept.
func convert(t *testing.T, a *Adapter, m larkfake.Message) (chat.Message, bool) {
	t.Helper()
	ev := &larkim.P2MessageReceiveV1{}
	if err := json.Unmarshal(m.JSON(), ev); err != nil {
		t.Fatal(err)
	}
	return a.convertMessage(ev)
}

func TestConvertMessage(t *testing.T) {
	a, err := New(Config{AppID: "a", AppSecret: "secret-b", AdminIDs: []string{"ou_cfg"}}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	bot := "ou_bot"
	a.botID.Store(&bot)
	post := `{"title":"","content":[[{"tag":"at","user_id":"@_user_1","user_name":"bot"},{"tag":"text","text":" 进度 50% "},{"tag":"at","user_id":"@_user_2","user_name":"张三"}]]}`
	m, ok := convert(t, a, larkfake.Message{MessageID: "om_post", MsgType: "post", Content: post, Mentions: taskMentions,
		ParentID: "om_parent", RootID: "om_root", Sender: "ou_li"})
	if !ok {
		t.Fatal("post not converted")
	}
	if m.Text != "进度 50% @张三" || len(m.Mentions) != 1 || m.Mentions[0] != (chat.User{ID: "ou_zhang", Name: "张三"}) {
		t.Errorf("text %q mentions %+v", m.Text, m.Mentions)
	}
	if m.ReplyTo != "om_parent" || m.RootID != "om_root" || m.Direct || m.Platform != chat.PlatformLark ||
		m.ChatID != "oc_group" || m.Sender.ID != "ou_li" || m.Time.IsZero() || m.SenderIsAdmin {
		t.Errorf("fields: %+v", m)
	}
	// Names seen in mentions are remembered for later senders.
	if m, _ := convert(t, a, larkfake.Message{Text: "hi", Sender: "ou_zhang"}); m.Sender.Name != "张三" {
		t.Errorf("cached name not used: %+v", m.Sender)
	}
	if m, _ := convert(t, a, larkfake.Message{Text: "hi", Sender: "ou_cfg"}); !m.SenderIsAdmin {
		t.Errorf("configured admin not marked: %+v", m)
	}
	for name, msg := range map[string]larkfake.Message{
		"image":    {MsgType: "image", Content: `{"image_key":"x"}`},
		"own echo": {Text: "echo", Sender: "ou_bot"},
		"empty":    {Text: "@_user_1 ", Mentions: taskMentions[:1]},
	} {
		if m, ok := convert(t, a, msg); ok {
			t.Errorf("%s converted: %+v", name, m)
		}
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
	zhang := chat.User{ID: "ou_zhang", Name: "张<三>"}
	r := chat.Reply{ChatID: "c", Mentions: []chat.User{zhang},
		Text: "hi " + chat.MentionToken(zhang) + " " + chat.MentionToken(chat.User{ID: "ou_stranger"}) + " <@all> " + `<at user_id="all"></at>`}
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
	r.Card = &chat.Card{Title: "#1 " + chat.MentionToken(zhang), Template: "purple-ish", Body: "负责人 " + chat.MentionToken(zhang),
		Buttons: []chat.Button{{Action: chat.ActionDone, TaskID: 42, Primary: true}, {Action: chat.ActionAssist, TaskID: 42}}}
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
	if _, _, err := renderReply(chat.Reply{ChatID: "c", Text: "  "}); err == nil {
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
	a.m, _ = newMetrics(nil)
	h := http.Header{}
	h.Set("x-ogw-ratelimit-reset", "7")
	cases := []struct {
		res    apiResult
		reason chat.Reason
		retry  bool
		after  time.Duration
	}{
		{apiResult{status: 429, code: 99991400, header: h}, chat.ReasonThrottled, true, 7 * time.Second},
		{apiResult{status: 400, code: 230020}, chat.ReasonThrottled, true, 0},
		{apiResult{status: 503}, chat.ReasonTransient, true, 0},
		{apiResult{status: 400, code: 230002}, chat.ReasonGone, false, 0},
		{apiResult{status: 400, code: 230001}, chat.ReasonInvalid, false, 0},
		{apiResult{status: 400, code: 99991672}, chat.ReasonAuth, false, 0},
		{apiResult{status: 400, code: 99991663}, chat.ReasonAuth, true, 0},
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
	if se.Reason != chat.ReasonTransient || strings.Contains(se.Error(), "s3cr3t") || strings.Contains(se.Error(), "t-abcdefghijkl") {
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
	if ad.cfg.BaseURL != FeishuBaseURL || ad.cfg.Mode != ModeWS || ad.Platform() != chat.PlatformLark ||
		ad.cfg.AcceptTimeout >= 3*time.Second || ad.cfg.ActionTimeout >= 3*time.Second {
		t.Errorf("defaults: %+v", ad.cfg)
	}
	reg := prometheus.NewRegistry()
	if _, err := New(Config{AppID: "a", AppSecret: "b"}, nil, reg); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Config{AppID: "a", AppSecret: "b"}, nil, reg); err == nil {
		t.Error("second adapter on the same registry: want an error, not a panic")
	}

	c := NewConfig()
	if ps := c.Validate("lark"); len(ps) != 0 {
		t.Errorf("a disabled section has no problems, got %q", ps)
	}
	c.Enable, c.Mode, c.BaseURL = true, "x", "ftp://h"
	ps := strings.Join(c.Validate("lark"), "\n")
	for _, want := range []string{
		"lark.app_id: required when lark.enabled is true",
		"lark.app_secret: required when lark.enabled is true",
		`lark.mode: must be ws or webhook, got "x"`,
		`lark.base_url: must be an http(s) URL, got "ftp://h"`,
	} {
		if !strings.Contains(ps, want) {
			t.Errorf("Validate lacks %q:\n%s", want, ps)
		}
	}
	c = NewConfig()
	c.Enable, c.AppID, c.AppSecret, c.Mode = true, "a", "b", ModeWebhook
	if ps := c.Validate("lark"); len(ps) != 1 || !strings.HasPrefix(ps[0], "lark.mode: webhook mode needs lark.encrypt_key") {
		t.Errorf("webhook without keys: %q", ps)
	}
	c.VerificationToken = "tok-12345"
	if ps := c.Validate("lark"); len(ps) != 0 || len(c.Warnings("lark")) != 0 {
		t.Errorf("valid webhook section: %q", ps)
	}
}

func TestConfigFromYAML(t *testing.T) {
	var p platform.Platform
	for _, x := range platform.All() {
		if x.Name == chat.PlatformLark {
			p = x
		}
	}
	if p.NewConfig == nil {
		t.Fatal("lark is not registered")
	}
	pc := p.NewConfig()
	doc := `
enabled: true
app_id: cli_yaml
app_secret: YamlSecretValue1
base_url: https://open.larksuite.com/
mode: webhook
encrypt_key: YamlEncryptKey2
verification_token: YamlVToken3
admins: [ou_a, ou_b]
`
	dec := yaml.NewDecoder(strings.NewReader(doc))
	dec.KnownFields(true)
	if err := dec.Decode(pc); err != nil {
		t.Fatal(err)
	}
	c := pc.(*Config)
	if !pc.Enabled() || c.AppID != "cli_yaml" || c.AppSecret.Reveal() != "YamlSecretValue1" || c.Mode != ModeWebhook ||
		c.EncryptKey.Reveal() != "YamlEncryptKey2" || c.VerificationToken.Reveal() != "YamlVToken3" ||
		strings.Join(pc.Admins(), ",") != "ou_a,ou_b" {
		t.Errorf("decoded %+v", c)
	}
	if ps := pc.Validate("lark"); len(ps) != 0 {
		t.Errorf("problems: %q", ps)
	}
	printed := fmt.Sprintf("%v %+v %#v", *c, *c, *c)
	for _, s := range []string{"YamlSecretValue1", "YamlEncryptKey2", "YamlVToken3"} {
		if strings.Contains(printed, s) {
			t.Errorf("printing the config shows %s", s)
		}
	}
	for _, key := range []string{"workers: 3", "http_timeout: 1s", "send_attempts: 2"} {
		pc := p.NewConfig()
		dec := yaml.NewDecoder(strings.NewReader(key))
		dec.KnownFields(true)
		if err := dec.Decode(pc); err == nil {
			t.Errorf("%q accepted: tuning knobs are not in the file", key)
		}
	}
	def := p.NewConfig().(*Config)
	if def.BaseURL != FeishuBaseURL || def.Mode != ModeWS || def.Enabled() {
		t.Errorf("defaults %+v", def)
	}

	// Build: webhook mode needs the listener, and mounts itself on it.
	if _, err := pc.Build(platform.Env{}); err == nil {
		t.Error("webhook mode without env.Handle: want an error")
	}
	mounted := map[string]http.Handler{}
	ad, err := pc.Build(platform.Env{Metrics: prometheus.NewRegistry(),
		Handle: func(pattern string, h http.Handler) { mounted[pattern] = h }})
	if err != nil {
		t.Fatal(err)
	}
	defer ad.Close()
	if mounted[WebhookPath] == nil || ad.Platform() != chat.PlatformLark {
		t.Errorf("handler not mounted at %s: %v", WebhookPath, mounted)
	}
	if la := ad.(*Adapter); la.cfg.BaseURL != LarkBaseURL {
		t.Errorf("base_url %q", la.cfg.BaseURL)
	}
}

func TestRouteAndLimits(t *testing.T) {
	a := &Adapter{}
	for _, c := range []struct {
		r    chat.Reply
		want chat.Route
	}{
		{chat.Reply{ChatID: "c", Key: "k"}, chat.Route{Name: "im.create", Idempotent: true}},
		{chat.Reply{ChatID: "c", ReplyTo: "om", Key: "k"}, chat.Route{Name: "im.reply", Idempotent: true}},
		{chat.Reply{ChatID: "c", Update: "om", Key: "k"}, chat.Route{Name: "im.patch", Idempotent: true}},
		{chat.Reply{ChatID: "c"}, chat.Route{Name: "im.create", Idempotent: false}},
		{chat.Reply{ChatID: "c", ReplyTo: "om"}, chat.Route{Name: "im.reply", Idempotent: false}},
	} {
		if got := a.Route(c.r); got != c.want {
			t.Errorf("Route(%+v) = %+v, want %+v", c.r, got, c.want)
		}
	}
	l := a.Limits()
	if l.PerSecond != 50 || l.PerMinute != 1000 || l.ChatPerSecond != 5 || l.ChatBurst != 5 {
		t.Errorf("limits %+v", l)
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
