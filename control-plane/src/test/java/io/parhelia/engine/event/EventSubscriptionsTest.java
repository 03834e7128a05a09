package io.parhelia.engine.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.parhelia.engine.store.Database;
import io.parhelia.engine.task.EngineException;
import io.parhelia.engine.task.Viewer;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EventSubscriptionsTest {

    static final Viewer ALICE = new Viewer("alice", false);
    static final Viewer BOB = new Viewer("bob", false);
    static final Viewer ADMIN = new Viewer("root", true);
    static final long TTL = 600;

    @TempDir
    Path temp;
    EventStoreFixture store;
    EventSubscriptions subscriptions;

    @BeforeEach
    void open() {
        store = new EventStoreFixture(temp.resolve("parhelia.db"));
        subscriptions = new EventSubscriptions(store.db, store.log, TTL, store.clock);
        store.task("task-a", "alice");
        store.task("task-b", "bob");
    }

    @AfterEach
    void close() {
        store.close();
    }

    @Test
    void aNewSubscriptionDeliversOnlyWhatHappensAfterItOnceEach() throws Exception {
        store.append(EventType.TASK_CREATED, "alice", "task-a", null);
        Subscription s = subscriptions.subscribe(EventFilter.ALL, null, null, ALICE);
        assertThat(s.id()).startsWith("sub-");
        assertThat(s.ttlSeconds()).isEqualTo(TTL);
        assertThat(s.expiresAt()).isEqualTo(store.clock.instant().plusSeconds(TTL));

        store.append(EventType.TASK_STARTING, "alice", "task-a", null);
        store.append(EventType.TASK_CREATED, "bob", "task-b", null);
        store.append(EventType.TASK_RUNNING, "alice", "task-a", null);

        Delivery first = subscriptions.next(s.id(), Duration.ZERO, 100, ALICE);
        assertThat(first.events()).extracting(Event::type).containsExactly(EventType.TASK_STARTING, EventType.TASK_RUNNING);
        assertThat(first.hasMore()).isFalse();
        assertThat(first.subscription().cursor()).isEqualTo(first.events().get(1).id());

        assertThat(subscriptions.next(s.id(), Duration.ZERO, 100, ALICE).events()).isEmpty();
    }

    @Test
    void fromTheStartInBatchesWithHasMore() throws Exception {
        for (int i = 0; i < 5; i++) {
            store.append(EventType.TASK_RUNNING, "alice", "task-a", null);
        }
        Subscription s = subscriptions.subscribe(EventFilter.ofTask("task-a"), 0L, null, ALICE);

        Delivery first = subscriptions.next(s.id(), Duration.ZERO, 3, ALICE);
        Delivery second = subscriptions.next(s.id(), Duration.ZERO, 3, ALICE);
        assertThat(first.events()).hasSize(3);
        assertThat(first.hasMore()).isTrue();
        assertThat(second.events()).hasSize(2);
        assertThat(second.hasMore()).isFalse();
        assertThat(second.events().get(0).id()).isGreaterThan(first.events().get(2).id());
    }

    @Test
    void afterEventIdMustBeInTheLog() {
        store.append(EventType.TASK_RUNNING, "alice", "task-a", null);
        assertThatThrownBy(() -> subscriptions.subscribe(EventFilter.ALL, 99L, null, ALICE))
                .isInstanceOfSatisfying(EngineException.class, e -> assertThat(e.field()).isEqualTo("after_event_id"));
        assertThatThrownBy(() -> subscriptions.subscribe(EventFilter.ALL, null, EventSubscriptions.MAX_TTL_SECONDS + 1, ALICE))
                .isInstanceOfSatisfying(EngineException.class, e -> assertThat(e.field()).isEqualTo("ttl_seconds"));
        assertThatThrownBy(() -> subscriptions.subscribe(EventFilter.ofTask("task-b"), null, null, ALICE))
                .isInstanceOfSatisfying(EngineException.class, e -> assertThat(e.field()).isEqualTo("task_id"));
    }

    @Test
    void aWaitingReadReturnsSoonAfterAnotherProcessWritesAMatchingEvent() throws Exception {
        Subscription s = subscriptions.subscribe(EventFilter.ofTask("task-a"), null, null, ALICE);
        ExecutorService reader = Executors.newSingleThreadExecutor();
        try (Database otherProcess = Database.open(store.db.file())) {
            store.clock.advance(Duration.ofSeconds(1));
            Future<long[]> read = reader.submit(() -> {
                Delivery d = subscriptions.next(s.id(), Duration.ofSeconds(20), 100, ALICE);
                return new long[] {System.nanoTime(), d.events().size(), d.events().get(0).taskId().equals("task-a") ? 1 : 0};
            });
            await().atMost(Duration.ofSeconds(5)).until(() -> lastUsedAt(s.id()) == store.clock.millis());

            // Another process's event that does not match keeps the reader waiting; one that matches wakes it.
            EventStoreFixture.appendTo(otherProcess, new EventLog(Clock.systemUTC()), EventType.TASK_RUNNING, "bob", "task-b", null);
            EventStoreFixture.appendTo(otherProcess, new EventLog(Clock.systemUTC()), EventType.TASK_RUNNING, "alice", "task-a", null);
            long written = System.nanoTime();
            long[] returned = read.get(5, TimeUnit.SECONDS);

            assertThat(returned[1]).isEqualTo(1);
            assertThat(returned[2]).isEqualTo(1);
            assertThat(Duration.ofNanos(returned[0] - written)).isLessThan(Duration.ofMillis(200));
        } finally {
            reader.shutdownNow();
        }
    }

    @Test
    void aReadWithNothingWaitingReturnsEmptyAfterItsTimeoutAndSkipsWhatDidNotMatch() throws Exception {
        Subscription s = subscriptions.subscribe(EventFilter.ofTask("task-a"), null, null, ALICE);
        store.append(EventType.TASK_RUNNING, "bob", "task-b", null);
        long started = System.nanoTime();

        Delivery d = subscriptions.next(s.id(), Duration.ofMillis(400), 100, ALICE);

        Duration took = Duration.ofNanos(System.nanoTime() - started);
        assertThat(d.events()).isEmpty();
        assertThat(took).isBetween(Duration.ofMillis(400), Duration.ofMillis(1500));
        assertThat(d.subscription().cursor()).as("past the event that did not match").isEqualTo(store.db.read(store.log::lastId));
    }

    @Test
    void anUnreadSubscriptionExpiresAndIsRemovedAndReadingRenewsIt() throws Exception {
        Subscription kept = subscriptions.subscribe(EventFilter.ALL, null, 10L, ALICE);
        Subscription lapsing = subscriptions.subscribe(EventFilter.ALL, null, 10L, ALICE);
        store.clock.advance(Duration.ofSeconds(8));
        assertThat(subscriptions.next(kept.id(), Duration.ZERO, 10, ALICE).subscription().expiresAt())
                .isEqualTo(store.clock.instant().plusSeconds(10));
        store.clock.advance(Duration.ofSeconds(8));

        assertThat(subscriptions.next(kept.id(), Duration.ZERO, 10, ALICE).events()).isEmpty();
        assertThatThrownBy(() -> subscriptions.next(lapsing.id(), Duration.ZERO, 10, ALICE))
                .isInstanceOfSatisfying(EngineException.class, e -> {
                    assertThat(e.field()).isEqualTo("subscription_id");
                    assertThat(e.getMessage()).contains("expired").contains("parhelia_events_subscribe");
                });
        assertThat(rows()).as("the expired one is deleted on access").isEqualTo(1);

        store.clock.advance(Duration.ofSeconds(30));
        subscriptions.subscribe(EventFilter.ALL, null, null, BOB);
        assertThat(rows()).as("subscribing sweeps the lapsed ones").isEqualTo(1);
    }

    @Test
    void onlyTheOwnerMayReadOrEndASubscription() throws Exception {
        Subscription s = subscriptions.subscribe(EventFilter.ALL, null, null, ALICE);

        for (Viewer other : List.of(BOB, ADMIN)) {
            assertThatThrownBy(() -> subscriptions.next(s.id(), Duration.ZERO, 10, other))
                    .isInstanceOfSatisfying(EngineException.class, e -> {
                        assertThat(e.field()).isEqualTo("subscription_id");
                        assertThat(e.reason()).isEqualTo(EngineException.Reason.NOT_FOUND);
                    });
            assertThatThrownBy(() -> subscriptions.unsubscribe(s.id(), other)).isInstanceOf(EngineException.class);
        }
        subscriptions.unsubscribe(s.id(), ALICE);
        assertThatThrownBy(() -> subscriptions.unsubscribe(s.id(), ALICE))
                .isInstanceOfSatisfying(EngineException.class, e -> assertThat(e.field()).isEqualTo("subscription_id"));
        assertThatThrownBy(() -> subscriptions.next("sub-unknown", Duration.ZERO, 10, ALICE))
                .isInstanceOfSatisfying(EngineException.class, e -> assertThat(e.getMessage()).contains("subscribe again"));
    }

    @Test
    void aSubscriptionSeesOnlyItsOwnersEventsUnlessTheOwnerIsAdmin() throws Exception {
        Subscription mine = subscriptions.subscribe(EventFilter.ALL, null, null, ALICE);
        Subscription all = subscriptions.subscribe(EventFilter.ALL, null, null, ADMIN);
        store.append(EventType.TASK_RUNNING, "bob", "task-b", null);
        store.append(EventType.RECONCILE_FAILED, null, null, null);

        assertThat(subscriptions.next(mine.id(), Duration.ZERO, 10, ALICE).events()).isEmpty();
        assertThat(subscriptions.next(all.id(), Duration.ZERO, 10, ADMIN).events()).hasSize(2);
    }

    @Test
    void concurrentReadersOfOneSubscriptionNeverGetTheSameEvent() throws Exception {
        Subscription s = subscriptions.subscribe(EventFilter.ALL, 0L, null, ALICE);
        Set<Long> delivered = ConcurrentHashMap.newKeySet();
        List<Long> duplicates = new ArrayList<>();
        ExecutorService readers = Executors.newFixedThreadPool(4);
        try {
            List<CompletableFuture<Void>> running = new ArrayList<>();
            for (int r = 0; r < 4; r++) {
                running.add(CompletableFuture.runAsync(() -> {
                    for (int i = 0; i < 20; i++) {
                        try {
                            subscriptions.next(s.id(), Duration.ofMillis(100), 2, ALICE).events().forEach(e -> {
                                if (!delivered.add(e.id())) {
                                    synchronized (duplicates) {
                                        duplicates.add(e.id());
                                    }
                                }
                            });
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            return;
                        }
                    }
                }, readers));
            }
            for (int i = 0; i < 30; i++) {
                store.append(EventType.TASK_RUNNING, "alice", "task-a", null);
            }
            CompletableFuture.allOf(running.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        } finally {
            readers.shutdownNow();
        }
        assertThat(duplicates).isEmpty();
        assertThat(delivered).hasSize(30);
    }

    @Test
    void aSubscriptionOutlivesTheServerProcess() throws Exception {
        Subscription s = subscriptions.subscribe(EventFilter.ofTask("task-a"), null, null, ALICE);
        store.append(EventType.TASK_RUNNING, "alice", "task-a", null);
        store.db.close();

        try (Database reopened = Database.open(store.db.file())) {
            EventSubscriptions afterRestart = new EventSubscriptions(reopened, store.log, TTL, store.clock);
            Delivery d = afterRestart.next(s.id(), Duration.ZERO, 10, ALICE);
            assertThat(d.events()).extracting(Event::type).containsExactly(EventType.TASK_RUNNING);
            assertThat(d.subscription().filter()).isEqualTo(EventFilter.ofTask("task-a"));
        }
    }

    private long lastUsedAt(String id) {
        return store.db.read(c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT last_used_at FROM event_subscriptions WHERE id = ?")) {
                s.setString(1, id);
                try (ResultSet r = s.executeQuery()) {
                    return r.next() ? r.getLong(1) : -1L;
                }
            }
        });
    }

    private long rows() {
        return store.db.read(c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT count(*) FROM event_subscriptions");
                 ResultSet r = s.executeQuery()) {
                return r.getLong(1);
            }
        });
    }
}
