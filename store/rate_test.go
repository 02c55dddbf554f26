package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kontakt/kontakt/devstack/testdb"
	"github.com/kontakt/kontakt/store"
)

// Concurrent requests share one limit: of 24 at once, on connections of their own, on a
// key allowed 5, exactly 5 pass (without the keys' locks, several count the same events).
func TestRateAllowConcurrent(t *testing.T) {
	ctx := context.Background()
	cfg, err := pgxpool.ParseConfig(testdb.New(t))
	if err != nil {
		t.Fatal(err)
	}
	const n = 24
	cfg.MaxConns, cfg.MinConns = n, n
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	st := store.New(pool, "CZ")
	for round := range 5 {
		ip := fmt.Sprintf("public-ip:192.0.2.%d", round)
		start := make(chan struct{})
		var mu sync.Mutex
		var wg sync.WaitGroup
		allowed := 0
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// Each request also carries a key of its own, as the public endpoints do
				// (the address and the e-mail), in varying order.
				keys := []string{ip, fmt.Sprintf("public-email:%d-%d", round, i)}
				if i%2 == 0 {
					keys[0], keys[1] = keys[1], keys[0]
				}
				<-start
				ok, err := st.RateAllow(ctx, []store.RateRule{{Key: keys[0], Limit: 5, Window: time.Minute}, {Key: keys[1], Limit: 5, Window: time.Minute}})
				if err != nil {
					t.Error(err)
					return
				}
				if ok {
					mu.Lock()
					allowed++
					mu.Unlock()
				}
			}()
		}
		close(start)
		wg.Wait()
		if allowed != 5 {
			t.Fatalf("round %d: %d of %d concurrent requests allowed on a limit of 5", round, allowed, n)
		}
	}
}
