package storetest

// Edits reports whether login holds at least the editor role on book, directly or through
// a group, from the grants alone; admins edit every book, a disabled user none. (Seeing a
// contact through a project gives no right to change it.)
func (m *Matrix) Edits(login, book string) bool {
	u := m.Users[login]
	if u.Disabled {
		return false
	}
	if u.IsAdmin {
		return true
	}
	for grantee, role := range m.bookGrants[book] {
		if role.AtLeast("editor") && (grantee == "u:"+login || grantee[:2] == "g:" && m.inGroup(login, grantee[2:])) {
			return true
		}
	}
	return false
}

// NoteAuthor returns the login of the author of note key.
func (m *Matrix) NoteAuthor(key string) string { return m.noteAuthor[key] }

// NoteContact returns the key of the contact note key is attached to.
func (m *Matrix) NoteContact(key string) string { return m.noteBook[key] }
