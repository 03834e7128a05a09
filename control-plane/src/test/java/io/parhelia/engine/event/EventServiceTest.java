package io.parhelia.engine.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parhelia.engine.task.EngineException;
import io.parhelia.engine.task.Page;
import io.parhelia.engine.task.Viewer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EventServiceTest {

    static final Viewer ADMIN = new Viewer("root", true);
    static final Viewer ALICE = new Viewer("alice", false);
    static final Viewer BOB = new Viewer("bob", false);

    @TempDir
    Path temp;
    EventStoreFixture store;
    EventService events;

    @BeforeEach
    void open() {
        store = new EventStoreFixture(temp.resolve("parhelia.db"));
        events = new EventService(store.db, store.log);
        store.task("task-a", "alice");
        store.task("task-b", "bob");
        store.container("c-a", "task-a", null);
        store.container("c-b", "task-b", "bob");
    }

    @AfterEach
    void close() {
        store.close();
    }

    @Test
    void filtersCombineAndResultsAreNewestFirst() {
        store.append(EventType.TASK_CREATED, "alice", "task-a", null);
        store.append(EventType.CONTAINER_STARTED, "alice", "task-a", "c-a");
        store.append(EventType.CONTAINER_MISSING, "alice", "task-a", "c-a");
        store.append(EventType.TASK_FAILED, "alice", "task-a", null);
        store.append(EventType.TASK_FAILED, "bob", "task-b", null);
        store.append(EventType.RECONCILE_FAILED, null, null, null);

        Page<Event> failedOfA = events.list(new EventFilter("task-a", null, null, Set.of(EventType.TASK_FAILED,
                EventType.CONTAINER_MISSING), Set.of(), null), 50, null, ADMIN);
        assertThat(failedOfA.items()).extracting(Event::type)
                .containsExactly(EventType.TASK_FAILED, EventType.CONTAINER_MISSING);
        assertThat(failedOfA.nextCursor()).isNull();

        Page<Event> warningsOfContainer = events.list(new EventFilter(null, "c-a", null, Set.of(),
                EventFilter.atLeast(EventLevel.WARNING), null), 50, null, ADMIN);
        assertThat(warningsOfContainer.items()).extracting(Event::type).containsExactly(EventType.CONTAINER_MISSING);

        Page<Event> errors = events.list(new EventFilter(null, null, null, Set.of(), Set.of(EventLevel.ERROR), null),
                50, null, ADMIN);
        assertThat(errors.items()).extracting(Event::type)
                .containsExactly(EventType.RECONCILE_FAILED, EventType.TASK_FAILED, EventType.TASK_FAILED);
        assertThat(errors.items()).extracting(Event::id).isSortedAccordingTo((x, y) -> Long.compare(y, x));
    }

    @Test
    void sinceKeepsEventsAtOrAfterTheInstant() {
        store.append(EventType.TASK_CREATED, "alice", "task-a", null);
        store.clock.advance(Duration.ofMinutes(5));
        Instant since = store.clock.instant();
        store.append(EventType.TASK_STARTING, "alice", "task-a", null);
        store.clock.advance(Duration.ofMinutes(5));
        store.append(EventType.TASK_RUNNING, "alice", "task-a", null);

        Page<Event> recent = events.list(new EventFilter(null, null, null, Set.of(), Set.of(), since), 50, null, ALICE);
        assertThat(recent.items()).extracting(Event::type).containsExactly(EventType.TASK_RUNNING, EventType.TASK_STARTING);
    }

    @Test
    void aCallerWithoutAdminSeesOnlyItsOwnEventsAndNoOneElsesTasksOrContainers() {
        store.append(EventType.TASK_CREATED, "alice", "task-a", null);
        store.append(EventType.TASK_CREATED, "bob", "task-b", null);
        store.append(EventType.RECONCILE_FAILED, null, null, null);

        assertThat(events.list(EventFilter.ALL, 50, null, ALICE).items()).extracting(Event::owner).containsOnly("alice");
        assertThat(events.list(EventFilter.ALL, 50, null, ADMIN).items()).hasSize(3);

        assertThatThrownBy(() -> events.list(EventFilter.ofTask("task-b"), 50, null, ALICE))
                .isInstanceOfSatisfying(EngineException.class, e -> assertThat(e.field()).isEqualTo("task_id"));
        assertThatThrownBy(() -> events.forContainer("c-b", EventFilter.ALL, 50, null, ALICE))
                .isInstanceOfSatisfying(EngineException.class, e -> {
                    assertThat(e.field()).isEqualTo("container_id");
                    assertThat(e.reason()).isEqualTo(EngineException.Reason.NOT_FOUND);
                });
        assertThatThrownBy(() -> events.forContainer("c-nope", EventFilter.ALL, 50, null, ADMIN))
                .isInstanceOfSatisfying(EngineException.class, e -> assertThat(e.field()).isEqualTo("container_id"));
        assertThatThrownBy(() -> events.list(new EventFilter(null, null, "s-nope", Set.of(), Set.of(), null), 50, null, ADMIN))
                .isInstanceOfSatisfying(EngineException.class, e -> assertThat(e.field()).isEqualTo("session_id"));
    }

    @Test
    void aContainerWithoutAnOwnerBelongsToItsTasksOwner() {
        store.append(EventType.CONTAINER_STARTED, "alice", "task-a", "c-a");

        assertThat(events.forContainer("c-a", EventFilter.ALL, 50, null, ALICE).items()).hasSize(1);
        assertThatThrownBy(() -> events.forContainer("c-a", EventFilter.ALL, 50, null, BOB))
                .isInstanceOf(EngineException.class);
    }

    @Test
    void newestFirstPagesStayStableWhileEventsArrive() {
        for (int i = 0; i < 7; i++) {
            store.append(EventType.CONTAINER_STARTED, "alice", "task-a", "c-a");
        }
        List<Long> before = events.list(EventFilter.ALL, 500, null, ALICE).items().stream().map(Event::id).toList();

        List<Long> walked = new ArrayList<>();
        String cursor = null;
        do {
            Page<Event> page = events.list(EventFilter.ALL, 3, cursor, ALICE);
            page.items().forEach(e -> walked.add(e.id()));
            // Events arriving between pages are newer than the first page: they never shift later pages.
            store.append(EventType.CONTAINER_EXITED, "alice", "task-a", "c-a");
            cursor = page.nextCursor();
        } while (cursor != null);

        assertThat(walked).isEqualTo(before);
    }

    @Test
    void replayPagesOldestFirstAndReachesEventsAppendedMeanwhile() {
        for (int i = 0; i < 4; i++) {
            store.append(EventType.TASK_RUNNING, "alice", "task-a", null);
        }
        Page<Event> first = events.replay(EventFilter.ofTask("task-a"), 3, null, ALICE);
        assertThat(first.items()).extracting(Event::id).isSorted();
        store.append(EventType.TASK_COMPLETED, "alice", "task-a", null);
        Page<Event> second = events.replay(EventFilter.ofTask("task-a"), 3, first.nextCursor(), ALICE);

        assertThat(second.items()).extracting(Event::type).containsExactly(EventType.TASK_RUNNING, EventType.TASK_COMPLETED);
        assertThat(second.items().get(0).id()).isGreaterThan(first.items().get(2).id());
        assertThat(second.nextCursor()).isNull();
    }

    @Test
    void replayNeedsExactlyOneOfTaskAndContainer() {
        assertThatThrownBy(() -> events.replay(EventFilter.ALL, 10, null, ADMIN))
                .isInstanceOfSatisfying(EngineException.class, e -> assertThat(e.field()).isEqualTo("task_id"));
        assertThatThrownBy(() -> events.replay(new EventFilter("task-a", "c-a", null, Set.of(), Set.of(), null), 10, null, ADMIN))
                .isInstanceOfSatisfying(EngineException.class, e -> assertThat(e.field()).isEqualTo("container_id"));
    }

    @Test
    void aCursorIsRefusedByTheOtherOrderAndWhenForged() {
        for (int i = 0; i < 3; i++) {
            store.append(EventType.TASK_RUNNING, "alice", "task-a", null);
        }
        String newestFirst = events.list(EventFilter.ofTask("task-a"), 1, null, ALICE).nextCursor();
        assertThatThrownBy(() -> events.replay(EventFilter.ofTask("task-a"), 1, newestFirst, ALICE))
                .isInstanceOfSatisfying(EngineException.class, e -> assertThat(e.field()).isEqualTo("cursor"));
        assertThatThrownBy(() -> events.list(EventFilter.ALL, 1, "not a cursor!", ALICE))
                .isInstanceOfSatisfying(EngineException.class, e -> assertThat(e.field()).isEqualTo("cursor"));
    }

    @Test
    void aFilterSurvivesItsStoredForm() {
        EventFilter filter = new EventFilter("task-a", "c-a", "s-1", EnumSet.of(EventType.TASK_FAILED, EventType.TASK_LOST),
                EventFilter.atLeast(EventLevel.WARNING), Instant.parse("2026-11-03T10:15:30Z"));
        assertThat(EventFilter.fromMap(filter.toMap())).isEqualTo(filter);
        assertThat(EventFilter.fromMap(EventFilter.ALL.toMap())).isEqualTo(EventFilter.ALL);
    }
}
