package bot

// Message keys of /board (the web board link); added to catalog at init so
// that i18n.go stays the lead's file.
const (
	bdOff         = "bd_off"
	bdLink        = "bd_link"
	bdReset       = "bd_reset"
	bdResetDenied = "bd_reset_denied"
	bdUsage       = "bd_usage"
)

func init() {
	addMessages(map[string][2]string{
		bdOff: {"📋 网页看板未开启：管理员需在配置文件中设置 http.listen（对外地址用 http.public_url，例如 https://bot.example.com），重启后再发送 /board。",
			"📋 The web board is off: an admin must set http.listen in the config file (and http.public_url for the address people open, e.g. https://bot.example.com), restart, then send /board again."},
		bdLink: {"📋 本群任务看板（只读，无需登录）：\n%s\n持有链接的人都能查看，请勿转发到群外。组长或管理员可发送 /board reset 作废此链接并生成新链接。",
			"📋 This group's task board (read-only, no login):\n%s\nAnyone with the link can see it: keep it inside the group. The lead or an admin can send /board reset to revoke it and issue a new one."},
		bdReset: {"📋 已生成新的看板链接，旧链接已失效：\n%s",
			"📋 New board link issued; the old one no longer works:\n%s"},
		bdResetDenied: {"只有组长或群管理员可以重置看板链接。发送 /board 获取当前链接。",
			"Only the lead or a group admin may reset the board link. Send /board for the current link."},
		bdUsage: {"看不懂“%s”。用法：/board 获取本群看板链接 · /board reset 作废旧链接并生成新链接（组长或管理员）",
			"“%s” is not a board option. Use: /board for this group's board link · /board reset to revoke it and issue a new one (lead or admins)"},
	})
}
