package storetest

// Manages reports whether login holds the manager role on book, directly or through a
// group, from the grants alone; admins manage every book, a disabled user none.
func (m *Matrix) Manages(login, book string) bool {
	u := m.Users[login]
	if u.Disabled {
		return false
	}
	if u.IsAdmin {
		return true
	}
	for grantee, role := range m.bookGrants[book] {
		if role == "manager" && (grantee == "u:"+login || grantee[:2] == "g:" && m.inGroup(login, grantee[2:])) {
			return true
		}
	}
	return false
}

// BookOf returns the book name of a contact key ("b3-org" → "B3").
func BookOf(key string) string { return bookOf(key) }
