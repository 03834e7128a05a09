package io.parhelia.cli;

import static io.parhelia.cli.ParheliaHomeFixture.call;
import static io.parhelia.cli.ParheliaHomeFixture.structured;
import static io.parhelia.cli.ParheliaHomeFixture.task;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.modelcontextprotocol.client.McpSyncClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two server processes on one home, as two Claude Code windows on one machine would run. */
class SharedHomeIT {

    private static final int TASKS_PER_SERVER = 6;

    @TempDir
    Path home;

    @Test
    void twoServersCreatingTasksAtOnceShareOneConsistentStore() throws Exception {
        try (ParheliaHomeFixture fixture = new ParheliaHomeFixture(home)) {
            List<McpSyncClient> servers = List.of(fixture.client(), fixture.client());
            ExecutorService pool = Executors.newFixedThreadPool(servers.size() * 2);
            List<Future<String>> created = new ArrayList<>();
            try {
                for (McpSyncClient server : servers) {
                    for (int i = 0; i < TASKS_PER_SERVER; i++) {
                        int n = i;
                        created.add(pool.submit((Callable<String>) () -> (String) task(call(server, "parhelia_task_create",
                                Map.of("prompt", "sleep=0.5 task " + n))).get("id")));
                    }
                }
                List<String> ids = new ArrayList<>();
                for (Future<String> id : created) {
                    ids.add(id.get());
                }
                assertThat(ids).doesNotHaveDuplicates().hasSize(2 * TASKS_PER_SERVER);

                // Both servers see every task, and the reconciler (in whichever holds the lease) finishes all.
                for (McpSyncClient server : servers) {
                    await().atMost(Duration.ofSeconds(60)).until(() -> completedCount(server) == ids.size());
                }
                assertThat(fixture.count("SELECT count(*) FROM events WHERE type = 'task_completed'")).isEqualTo(ids.size());
                assertThat(fixture.count("SELECT count(*) FROM containers")).isEqualTo(ids.size());
                assertThat(fixture.count("SELECT count(*) FROM leases")).isEqualTo(1);
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static long completedCount(McpSyncClient server) {
        List<Map<String, Object>> tasks = (List<Map<String, Object>>) structured(call(server, "parhelia_task_list",
                Map.of("status", List.of("completed"), "limit", 200, "fields", List.of("id")))).get("tasks");
        return tasks.size();
    }
}
