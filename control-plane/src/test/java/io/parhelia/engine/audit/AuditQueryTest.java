package io.parhelia.engine.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parhelia.engine.task.EngineException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuditQueryTest {

    private static final AuditQuery.Filter ALL = new AuditQuery.Filter(null, null, null, null, null, null, null);

    @TempDir
    Path dir;
    AuditQuery query;

    /** Day 1: n = 0..5, day 2: n = 6..11; even n by alice over stdio, odd by bob over http, every third refused. */
    @BeforeEach
    void twelveEntriesOverTwoDays() throws Exception {
        AuditLogTest.SettableClock clock = new AuditLogTest.SettableClock("2026-11-24T10:00:00Z");
        try (AuditLog log = new AuditLog(dir, clock)) {
            for (int n = 0; n < 12; n++) {
                clock.now = Instant.parse(n < 6 ? "2026-11-24T10:00:00Z" : "2026-11-25T10:00:00Z").plusSeconds(n);
                log.append(new AuditEntry(clock.now.toString(), AuditEntry.TOOL_CALL, "r" + n, n % 2 == 0 ? "stdio" : "http",
                        null, new AuditEntry.Identity(n % 2 == 0 ? "alice" : "bob", null, null),
                        n < 4 ? "parhelia_health" : "parhelia_task_list", Map.of(), n % 3 == 0 ? "refused" : "allowed",
                        null, 1, null).toJson());
            }
        }
        query = new AuditQuery(dir);
    }

    private static List<String> ids(AuditQuery.Result result) {
        return result.entries().stream().map(e -> (String) e.get("request_id")).toList();
    }

    @Test
    void pagesGoNewestFirstAcrossFilesUntilTheStart() throws Exception {
        List<String> seen = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            AuditQuery.Result page = query.find(ALL, 5, cursor, 1000);
            seen.addAll(ids(page));
            cursor = page.nextCursor();
            pages++;
        } while (cursor != null);
        assertThat(pages).isEqualTo(3);
        assertThat(seen).containsExactly("r11", "r10", "r9", "r8", "r7", "r6", "r5", "r4", "r3", "r2", "r1", "r0");
    }

    @Test
    void filtersCombine() throws Exception {
        AuditQuery.Result bobRefused = query.find(new AuditQuery.Filter(null, null, null, null, "bob", "refused", null), 20, null, 1000);
        assertThat(ids(bobRefused)).containsExactly("r9", "r3");
        assertThat(bobRefused.nextCursor()).isNull();

        AuditQuery.Result healthOverStdio = query.find(
                new AuditQuery.Filter(null, null, AuditEntry.TOOL_CALL, "parhelia_health", null, null, "stdio"), 20, null, 1000);
        assertThat(ids(healthOverStdio)).containsExactly("r2", "r0");

        AuditQuery.Result window = query.find(new AuditQuery.Filter(Instant.parse("2026-11-24T10:00:04Z"),
                Instant.parse("2026-11-25T10:00:08Z"), null, null, null, null, null), 20, null, 1000);
        assertThat(ids(window)).containsExactly("r7", "r6", "r5", "r4");

        AuditQuery.Result dayTwo = query.find(new AuditQuery.Filter(Instant.parse("2026-11-25T10:00:07Z"), null, null, null,
                null, null, null), 20, null, 1000);
        assertThat(ids(dayTwo)).containsExactly("r11", "r10", "r9", "r8", "r7");
        assertThat(dayTwo.scanned()).as("the file of the day before since is not read").isEqualTo(6);
    }

    @Test
    void aPageStopsAtTheScanBoundAndItsCursorResumesThere() throws Exception {
        AuditQuery.Filter bob = new AuditQuery.Filter(null, null, null, null, "bob", null, null);
        AuditQuery.Result first = query.find(bob, 20, null, 3);
        assertThat(first.scanned()).isEqualTo(3);
        assertThat(ids(first)).containsExactly("r11", "r9");
        AuditQuery.Result second = query.find(bob, 20, first.nextCursor(), 3);
        assertThat(ids(second)).containsExactly("r7");
    }

    @Test
    void aLineBeingWrittenIsPassedOver() throws Exception {
        Files.writeString(dir.resolve("audit-2026-11-25.jsonl"), "{\"time\":\"2026-11-25T1", StandardOpenOption.APPEND);
        assertThat(ids(query.find(ALL, 2, null, 1000))).containsExactly("r11", "r10");
    }

    @Test
    void aCursorNotFromThisToolIsRefusedNamingTheField() {
        for (String bad : List.of("nonsense", "audit-2026-11-24.jsonl:99999999", "../secret:1", "audit-2027-01-01.jsonl:0")) {
            assertThatThrownBy(() -> query.find(ALL, 5, bad, 1000)).as(bad).isInstanceOf(EngineException.class)
                    .satisfies(e -> assertThat(((EngineException) e).field()).isEqualTo("cursor"));
        }
    }

    @Test
    void anEmptyLogHasNoEntries() throws Exception {
        AuditQuery.Result none = new AuditQuery(dir.resolve("absent")).find(ALL, 5, null, 1000);
        assertThat(none.entries()).isEmpty();
        assertThat(none.nextCursor()).isNull();
    }
}
