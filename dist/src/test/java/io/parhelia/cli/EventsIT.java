package io.parhelia.cli;

import static io.parhelia.cli.ParheliaHomeFixture.call;
import static io.parhelia.cli.ParheliaHomeFixture.structured;
import static io.parhelia.cli.ParheliaHomeFixture.task;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.spec.McpSchema;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The event tools through the real `parhelia mcp-server` over stdio: history, and live feeds across processes. */
class EventsIT {

    private static final Duration ENDS_WITHIN = Duration.ofSeconds(30);

    @RegisterExtension
    static final SharedServer server = new SharedServer();

    @Test
    void aFinishedTasksLifecycleCanBeReplayedListedAndReadPerContainer() {
        String id = (String) task(call(server.client(), "parhelia_task_create", Map.of("prompt", "cost=0.1 quick job"))).get("id");
        await().atMost(ENDS_WITHIN).until(() -> task(call(server.client(), "parhelia_task_show", Map.of("task_id", id))).get("status"),
                "completed"::equals);
        @SuppressWarnings("unchecked")
        String containerId = (String) ((Map<String, Object>) task(call(server.client(), "parhelia_task_show",
                Map.of("task_id", id))).get("container")).get("id");

        // Sessions and health checks may add events of their own; the lifecycle is these, in this order.
        List<String> lifecycle = List.of("task_created", "task_starting", "container_started", "task_running",
                "container_exited", "task_completed");
        List<Map<String, Object>> replayed = events(ok(call(server.client(), "parhelia_events_replay", Map.of("task_id", id))));
        assertThat(replayed).extracting(e -> e.get("type")).containsSubsequence(lifecycle.toArray());
        assertThat(replayed).extracting(e -> ((Number) e.get("id")).longValue()).isSorted();
        assertThat(replayed).allSatisfy(e -> {
            assertThat(e.get("task_id")).isEqualTo(id);
            assertThat(e.get("owner")).isEqualTo(System.getProperty("user.name"));
            assertThat(Instant.parse((String) e.get("at"))).isBefore(Instant.now());
        });
        Map<String, Object> completed = replayed.stream().filter(e -> "task_completed".equals(e.get("type"))).findFirst().orElseThrow();
        assertThat(completed.get("level")).isEqualTo("info");
        assertThat(completed.get("data")).isEqualTo(Map.of("from", "running", "to", "completed"));

        List<Object> paged = new ArrayList<>();
        Object cursor = null;
        Map<String, Object> page;
        do {
            page = ok(call(server.client(), "parhelia_events_replay", cursor == null ? Map.of("task_id", id, "limit", 4)
                    : Map.of("task_id", id, "limit", 4, "cursor", cursor)));
            events(page).forEach(e -> paged.add(e.get("id")));
            cursor = page.get("next_cursor");
        } while (cursor != null);
        assertThat(paged).isEqualTo(replayed.stream().map(e -> e.get("id")).toList());
        assertThat(page.get("last_event_id")).isEqualTo(replayed.get(replayed.size() - 1).get("id"));

        List<Map<String, Object>> listed = events(ok(call(server.client(), "parhelia_events_list",
                Map.of("task_id", id, "types", lifecycle))));
        assertThat(listed).extracting(e -> e.get("type")).containsExactly(
                "task_completed", "container_exited", "task_running", "container_started", "task_starting", "task_created");

        List<Map<String, Object>> containerEvents = events(ok(call(server.client(), "parhelia_container_events",
                Map.of("container_id", containerId))));
        assertThat(containerEvents).extracting(e -> e.get("type")).containsSubsequence("container_exited", "container_started");
        assertThat(containerEvents).allSatisfy(e -> assertThat(e.get("container_id")).isEqualTo(containerId));
        assertThat(events(ok(call(server.client(), "parhelia_container_events", Map.of("container_id", containerId,
                "type", "container_started"))))).extracting(e -> e.get("type")).containsExactly("container_started");

        List<Map<String, Object>> combined = events(ok(call(server.client(), "parhelia_events_list", Map.of("task_id", id,
                "container_id", containerId, "types", List.of("container_exited", "task_completed"),
                "fields", List.of("type", "container_id")))));
        assertThat(combined).containsExactly(Map.of("type", "container_exited", "container_id", containerId));
        assertThat(events(ok(call(server.client(), "parhelia_events_list", Map.of("task_id", id, "min_level", "warning"))))).isEmpty();
    }

    @Test
    void unknownContainersTasksAndBadFiltersAreErrorsThatNameTheField() {
        assertError(call(server.client(), "parhelia_container_events", Map.of("container_id", "c-nope")), "container_id");
        assertError(call(server.client(), "parhelia_events_replay", Map.of("task_id", "task-nope")), "task_id");
        assertError(call(server.client(), "parhelia_events_replay", Map.of()), "task_id");
        assertError(call(server.client(), "parhelia_events_list", Map.of("since", "yesterday")), "since");
        assertError(call(server.client(), "parhelia_events_list", Map.of("types", List.of("no_such_type"))), "types");
        assertError(call(server.client(), "parhelia_events_list", Map.of("levels", List.of("info"), "min_level", "error")), "min_level");
        assertError(call(server.client(), "parhelia_events_list", Map.of("limit", 501)), "limit");
        assertError(call(server.client(), "parhelia_events_stream", Map.of("subscription_id", "sub-x", "timeout_seconds", 61)),
                "timeout_seconds");
    }

    @Test
    void aStreamReturnsTheEventsOfATaskCreatedAfterSubscribingUntilItEnds() {
        String subscription = subscribe(Map.of("types", List.of("task_created", "task_running", "task_completed")));
        String id = (String) task(call(server.client(), "parhelia_task_create", Map.of("prompt", "sleep=0.5 watched"))).get("id");

        List<Object> seen = new ArrayList<>();
        await().atMost(ENDS_WITHIN).until(() -> {
            events(ok(call(server.client(), "parhelia_events_stream", Map.of("subscription_id", subscription, "timeout_seconds", 5))))
                    .stream().filter(e -> id.equals(e.get("task_id"))).forEach(e -> seen.add(e.get("type")));
            return seen.contains("task_completed");
        });
        assertThat(seen).containsExactly("task_created", "task_running", "task_completed");

        ok(call(server.client(), "parhelia_events_unsubscribe", Map.of("subscription_id", subscription)));
        assertError(call(server.client(), "parhelia_events_stream", Map.of("subscription_id", subscription)), "subscription_id");
        assertError(call(server.client(), "parhelia_events_unsubscribe", Map.of("subscription_id", subscription)), "subscription_id");
    }

    @Test
    void aStreamWithNothingWaitingReturnsEmptyAfterItsTimeoutWithoutHoldingUpOtherCalls() throws Exception {
        String subscription = subscribe(Map.of("types", List.of("orphan_terminated")));
        long started = System.nanoTime();
        CompletableFuture<Map<String, Object>> waiting = CompletableFuture.supplyAsync(() ->
                ok(call(server.client(), "parhelia_events_stream", Map.of("subscription_id", subscription, "timeout_seconds", 3))));
        awaitPending(subscription);

        ok(call(server.client(), "parhelia_events_list", Map.of("limit", 1)));
        assertThat(waiting).as("another call on the same server is answered while the stream waits").isNotDone();

        Map<String, Object> result = waiting.get(10, TimeUnit.SECONDS);
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        assertThat(result.get("count")).isEqualTo(0);
        assertThat(result.get("has_more")).isEqualTo(false);
        assertThat(took).isBetween(Duration.ofSeconds(3), Duration.ofSeconds(6));
    }

    @Test
    void aStreamOnOneServerWakesWithinTwoHundredMillisOfAnEventWrittenByAnother() throws Exception {
        McpSyncClient otherServer = server.fixture().client();
        String subscription = subscribe(Map.of("types", List.of("task_created")));
        long started = System.nanoTime();
        CompletableFuture<Instant> returnedAt = new CompletableFuture<>();
        CompletableFuture<Map<String, Object>> waiting = CompletableFuture.supplyAsync(() -> {
            Map<String, Object> result = ok(call(server.client(), "parhelia_events_stream",
                    Map.of("subscription_id", subscription, "timeout_seconds", 30)));
            returnedAt.complete(Instant.now());
            return result;
        });
        awaitPending(subscription);

        String id = (String) task(call(otherServer, "parhelia_task_create", Map.of("prompt", "from the other server"))).get("id");

        Map<String, Object> result = waiting.get(10, TimeUnit.SECONDS);
        List<Map<String, Object>> delivered = events(result);
        assertThat(delivered).extracting(e -> e.get("task_id")).containsExactly(id);
        Instant written = Instant.parse((String) delivered.get(0).get("at"));
        assertThat(Duration.between(written, returnedAt.get())).isLessThan(Duration.ofMillis(200));
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(15));
    }

    @Test
    void anExpiredSubscriptionIsAnErrorThatSaysToSubscribeAgain() {
        Map<String, Object> subscribed = ok(call(server.client(), "parhelia_events_subscribe", Map.of("ttl_seconds", 1)));
        Instant expiresAt = Instant.parse((String) subscribed.get("expires_at"));
        await().atMost(Duration.ofSeconds(5)).until(() -> Instant.now().isAfter(expiresAt.plusMillis(50)));

        McpSchema.CallToolResult expired = call(server.client(), "parhelia_events_stream",
                Map.of("subscription_id", subscribed.get("subscription_id"), "timeout_seconds", 0));
        assertError(expired, "subscription_id");
        assertThat(expired.content().toString()).contains("parhelia_events_subscribe");
        assertError(call(server.client(), "parhelia_events_stream", Map.of("subscription_id", "sub-0123456789abcdef")),
                "subscription_id");
    }

    // ---- helpers ----

    private static String subscribe(Map<String, Object> arguments) {
        Map<String, Object> subscribed = ok(call(server.client(), "parhelia_events_subscribe", arguments));
        assertThat((String) subscribed.get("subscription_id")).startsWith("sub-");
        return (String) subscribed.get("subscription_id");
    }

    /** A read claims its subscription for its whole wait, which shows in the store as an expiry beyond the ttl. */
    private static void awaitPending(String subscription) {
        await().atMost(Duration.ofSeconds(10)).until(() -> server.fixture().count("SELECT count(*) FROM event_subscriptions WHERE id = '"
                + subscription + "' AND expires_at - last_used_at > ttl_seconds * 1000") == 1);
    }

    private static Map<String, Object> ok(McpSchema.CallToolResult result) {
        assertThat(result.isError()).as("tool error: %s", result.content()).isNotEqualTo(Boolean.TRUE);
        return structured(result);
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> events(Map<String, Object> result) {
        return (List<Map<String, Object>>) result.get("events");
    }

    @SuppressWarnings("unchecked")
    private static void assertError(McpSchema.CallToolResult result, String field) {
        assertThat(result.isError()).as("expected an error naming %s: %s", field, result.content()).isTrue();
        assertThat((Map<String, Object>) structured(result).get("error")).containsEntry("field", field);
    }
}
