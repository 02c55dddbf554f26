package web

import "sort"

// CatalogueKeys are every message key of the pages, sorted: the browser tour looks for them
// in rendered text, where a key instead of its text means a missing message.
func CatalogueKeys() []string {
	keys := make([]string, 0, len(newCatalogue()["en"]))
	for k := range newCatalogue()["en"] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
