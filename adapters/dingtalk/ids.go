package dingtalk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"collabbot/adapters/platform"
	"collabbot/bot/chat"
)

// Old OpenAPI (oapi.dingtalk.com) paths; scope qyapi_get_member
// (platforms-2.md §6, IDs).
const (
	apiUserGet     = "/topapi/v2/user/get"
	apiUserByUnion = "/topapi/user/getbyunionid"
)

// Old OpenAPI errcodes we act on.
const (
	oapiUserNotFound = 60121 // no such user (getbyunionid, user/get)
	oapiBusy         = -1    // 系统繁忙
)

// tokenErrcode says whether an old-API errcode means the access token was
// refused: 40014 invalid, 42001 expired, 40001 bad credential.
func tokenErrcode(code int) bool { return code == 40014 || code == 42001 || code == 40001 }

// callOAPI makes one call to the old API host. It takes the same access
// token as the v1.0 API, in the query string, as those endpoints expect
// (whether DingTalk accepts the v1.0 token there is not documented; it is
// the same app's token). Errors come as HTTP 200 with errcode != 0; out
// receives "result".
func (c *apiClient) callOAPI(ctx context.Context, api string, body, out any) error {
	for attempt := 0; ; attempt++ {
		tok, fresh, err := c.accessToken(ctx)
		if err != nil {
			return err
		}
		c.count(api)
		status, header, data, err := c.do(ctx, http.MethodPost, c.cfg.OAPIURL+api+"?access_token="+url.QueryEscape(tok), nil, body)
		if err != nil {
			return err
		}
		if status != http.StatusOK {
			return c.classifyAPI(status, header, data)
		}
		var a struct {
			ErrCode int             `json:"errcode"`
			ErrMsg  string          `json:"errmsg"`
			Result  json.RawMessage `json:"result"`
		}
		if err := json.Unmarshal(data, &a); err != nil {
			return c.fail(chat.ReasonOther, false, fmt.Errorf("decoding %s answer: %w", api, err))
		}
		if a.ErrCode == 0 {
			if out != nil && len(a.Result) > 0 {
				if err := json.Unmarshal(a.Result, out); err != nil {
					return c.fail(chat.ReasonOther, false, fmt.Errorf("decoding %s result: %w", api, err))
				}
			}
			return nil
		}
		e := &apiError{Status: status, Code: strconv.Itoa(a.ErrCode), Message: truncate(c.red.Clean(a.ErrMsg), 200)}
		se := &chat.SendError{Err: e}
		switch {
		case tokenErrcode(a.ErrCode):
			c.dropToken(tok)
			if !fresh && attempt == 0 {
				continue
			}
			se.Reason, se.Retry = chat.ReasonAuth, true
		case a.ErrCode == oapiUserNotFound:
			se.Reason = chat.ReasonGone
		case a.ErrCode == oapiBusy:
			se.Reason, se.Retry = chat.ReasonTransient, true
		case a.ErrCode >= 90000 && a.ErrCode < 91000:
			// 900xx: the API's or the org's call frequency was exceeded.
			se.Reason, se.Retry = chat.ReasonThrottled, true
		case a.ErrCode == 60011 || a.ErrCode == 60020:
			// No permission for the API (scope), IP not allowed.
			se.Reason = chat.ReasonAuth
		default:
			se.Reason = chat.ReasonInvalid
		}
		return se
	}
}

// errNoUnion is a user DingTalk does not know (or not in this org).
var errNoUnion = errors.New("no such user in the org")

// unionID maps a staff id (chat.User.ID) to the union id 待办 wants. A user
// DingTalk does not know is a ReasonGone SendError.
func (a *Adapter) unionID(ctx context.Context, staffID string) (string, error) {
	if staffID == "" {
		return "", &chat.SendError{Reason: chat.ReasonGone, Err: errNoUnion}
	}
	return a.mapID(ctx, staffID, apiUserGet, "userid", "unionid", a.unionIDs, a.staffIDs)
}

// staffID maps a union id from a 待办 back to a staff id.
func (a *Adapter) staffID(ctx context.Context, unionID string) (string, error) {
	return a.mapID(ctx, unionID, apiUserByUnion, "unionid", "userid", a.staffIDs, a.unionIDs)
}

// mapID looks id up through the old API (api takes {param: id} and
// answers the other id in result[field]), caching the pair both ways:
// there maps id to the answer, back the answer to id.
func (a *Adapter) mapID(ctx context.Context, id, api, param, field string, there, back *platform.TTLCache[string]) (string, error) {
	if v, ok := there.Get(id); ok {
		return v, nil
	}
	var r map[string]json.RawMessage
	if err := a.api.callOAPI(ctx, api, map[string]string{param: id}, &r); err != nil {
		return "", err
	}
	var other string
	_ = json.Unmarshal(r[field], &other) // absent or not a string: unknown
	if other == "" {
		return "", &chat.SendError{Reason: chat.ReasonGone, Err: errNoUnion}
	}
	there.Put(id, other)
	back.Put(other, id)
	return other, nil
}
