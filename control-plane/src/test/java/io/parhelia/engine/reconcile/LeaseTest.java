package io.parhelia.engine.reconcile;

import io.parhelia.engine.MutableClock;
import io.parhelia.engine.store.Database;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class LeaseTest {

    private static final Duration TTL = Duration.ofSeconds(9);

    @TempDir
    Path temp;

    private final MutableClock clock = new MutableClock(Instant.parse("2026-11-01T10:00:00Z"));
    private Database db;
    private Lease first;
    private Lease second;

    @BeforeEach
    void open() {
        db = Database.open(temp.resolve("parhelia.db"));
        first = new Lease(db, Reconciler.LEASE_NAME, "server-1", TTL, clock);
        second = new Lease(db, Reconciler.LEASE_NAME, "server-2", TTL, clock);
    }

    @AfterEach
    void close() {
        db.close();
    }

    @Test
    void nobodyHoldsANewLease() {
        assertThat(first.currentHolder()).isEmpty();
    }

    @Test
    void oneHolderAtATime() {
        assertThat(first.tryAcquire()).isTrue();

        assertThat(second.tryAcquire()).isFalse();
        assertThat(first.currentHolder()).contains("server-1");
        assertThat(second.currentHolder()).contains("server-1");
    }

    @Test
    void theHolderRenewsAndKeepsItPastTheFirstExpiry() {
        assertThat(first.tryAcquire()).isTrue();
        for (int i = 0; i < 5; i++) {
            clock.advance(TTL.minusSeconds(1));
            assertThat(first.tryAcquire()).as("renewal %d", i).isTrue();
            assertThat(second.tryAcquire()).isFalse();
        }
        // 40 s after it was first taken, far past one TTL, the renewed lease still stands.
        assertThat(second.currentHolder()).contains("server-1");
    }

    @Test
    void anotherTakesOverOnlyAfterExpiry() {
        assertThat(first.tryAcquire()).isTrue();

        clock.advance(TTL);
        assertThat(second.tryAcquire()).as("at the very expiry instant").isFalse();
        assertThat(second.currentHolder()).contains("server-1");

        clock.advance(Duration.ofMillis(1));
        assertThat(first.currentHolder()).isEmpty();
        assertThat(second.tryAcquire()).isTrue();
        assertThat(first.currentHolder()).contains("server-2");
        assertThat(first.tryAcquire()).as("the old holder must not take it back").isFalse();
    }

    @Test
    void takeoverRecordsTheNewHoldersAcquisitionTimeAndRenewalKeepsIt() {
        assertThat(first.tryAcquire()).isTrue();
        clock.advance(TTL.plusSeconds(1));
        Instant takenOver = clock.instant();
        assertThat(second.tryAcquire()).isTrue();
        clock.advance(Duration.ofSeconds(2));
        assertThat(second.tryAcquire()).isTrue();

        long[] row = db.read(c -> {
            try (var s = c.createStatement(); var r = s.executeQuery(
                    "SELECT acquired_at, renewed_at, expires_at FROM leases WHERE name = '" + Reconciler.LEASE_NAME + "'")) {
                return new long[] {r.getLong(1), r.getLong(2), r.getLong(3)};
            }
        });
        assertThat(row[0]).isEqualTo(takenOver.toEpochMilli());
        assertThat(row[1]).isEqualTo(clock.millis());
        assertThat(row[2]).isEqualTo(clock.instant().plus(TTL).toEpochMilli());
    }

    @Test
    void releaseLetsAnotherTakeItAtOnce() {
        assertThat(first.tryAcquire()).isTrue();

        first.release();

        assertThat(first.currentHolder()).isEmpty();
        assertThat(second.tryAcquire()).isTrue();
        assertThat(first.currentHolder()).contains("server-2");
    }

    @Test
    void releaseByANonHolderDoesNothing() {
        assertThat(first.tryAcquire()).isTrue();

        second.release();

        assertThat(second.tryAcquire()).isFalse();
        assertThat(second.currentHolder()).contains("server-1");
    }

    @Test
    void leasesWithDifferentNamesAreIndependent() {
        Lease other = new Lease(db, "checkpoints", "server-2", TTL, clock);

        assertThat(first.tryAcquire()).isTrue();
        assertThat(other.tryAcquire()).isTrue();
        assertThat(other.currentHolder()).contains("server-2");
        assertThat(first.currentHolder()).contains("server-1");
    }

    @Test
    void concurrentAttemptsFromTwoStoresOnOneFileElectExactlyOneHolder() throws Exception {
        int contenders = 6;
        List<Database> stores = new ArrayList<>(List.of(db, Database.open(temp.resolve("parhelia.db"))));
        ExecutorService pool = Executors.newFixedThreadPool(contenders);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Boolean>> results = new ArrayList<>();
            for (int i = 0; i < contenders; i++) {
                Lease lease = new Lease(stores.get(i % 2), Reconciler.LEASE_NAME, "contender-" + i, TTL, clock);
                results.add(pool.submit(() -> {
                    go.await(10, TimeUnit.SECONDS);
                    return lease.tryAcquire();
                }));
            }
            go.countDown();
            int winners = 0;
            for (Future<Boolean> result : results) {
                winners += result.get(30, TimeUnit.SECONDS) ? 1 : 0;
            }
            assertThat(winners).isEqualTo(1);
            assertThat(first.currentHolder()).hasValueSatisfying(h -> assertThat(h).startsWith("contender-"));
        } finally {
            pool.shutdownNow();
            stores.get(1).close();
        }
    }
}
