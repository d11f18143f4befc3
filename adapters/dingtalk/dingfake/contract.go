package dingfake

// IssuedSecrets lists what no log line or error may show: the client
// secret, every access token still valid, and the session id of every
// sessionWebhook handed out (the part of its URL that lets anyone post).
func (s *Server) IssuedSecrets() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []string{s.ClientSecret}
	if s.lastToken != "" {
		out = append(out, s.lastToken)
	}
	for t := range s.tokens {
		out = append(out, t)
	}
	for session := range s.hooks {
		out = append(out, session)
	}
	return out
}
