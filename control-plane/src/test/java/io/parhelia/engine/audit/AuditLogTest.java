package io.parhelia.engine.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuditLogTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /** A clock the test moves forward, to cross midnight. */
    static final class SettableClock extends Clock {
        Instant now;

        SettableClock(String now) {
            this.now = Instant.parse(now);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    static String entry(int n) {
        return new AuditEntry("2026-11-24T10:00:00Z", AuditEntry.TOOL_CALL, "r" + n, "stdio", null,
                new AuditEntry.Identity("alice", null, null), "parhelia_health", Map.of("n", n), "allowed", null, 1.5, null)
                .toJson();
    }

    static String sha256(String line) {
        return AuditLog.sha256(line.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void eachLineIsTheEntryWithPrevTheHashOfTheLineBeforeAndTheFirstLinksToGenesis() throws Exception {
        try (AuditLog log = new AuditLog(dir, new SettableClock("2026-11-24T10:00:00Z"))) {
            log.append(entry(1));
            log.append(entry(2));
            log.append("{}");
        }
        List<String> lines = Files.readAllLines(dir.resolve("audit-2026-11-24.jsonl"));
        assertThat(lines).hasSize(3);
        assertThat(lines.get(0)).isEqualTo(entry(1).replaceFirst("}$", ",\"prev\":\"" + AuditLog.GENESIS + "\"}"));
        assertThat(JSON.readTree(lines.get(1)).get("prev").asText()).isEqualTo(sha256(lines.get(0)));
        assertThat(lines.get(2)).isEqualTo("{\"prev\":\"" + sha256(lines.get(1)) + "\"}");
        JsonNode first = JSON.readTree(lines.get(0));
        List<String> names = new ArrayList<>();
        first.fieldNames().forEachRemaining(names::add);
        assertThat(names).containsExactly("time", "kind", "request_id", "transport", "remote_address", "caller", "tool",
                "arguments", "outcome", "error", "duration_ms", "http", "prev");
        assertThat(first.get("caller").toString()).isEqualTo("{\"subject\":\"alice\",\"token_name\":null,\"client_id\":null}");
    }

    @Test
    void aNewDayStartsANewFileWhoseFirstLineLinksToTheLastLineOfTheDayBefore() throws Exception {
        SettableClock clock = new SettableClock("2026-11-24T23:59:59Z");
        try (AuditLog log = new AuditLog(dir, clock)) {
            log.append(entry(1));
            clock.now = Instant.parse("2026-11-25T00:00:01Z");
            log.append(entry(2));
        }
        // A process started later, on a day with no file yet, links to the newest file before it.
        try (AuditLog later = new AuditLog(dir, new SettableClock("2026-11-27T08:00:00Z"))) {
            later.append(entry(3));
        }
        String day1 = Files.readString(dir.resolve("audit-2026-11-24.jsonl")).strip();
        String day2 = Files.readString(dir.resolve("audit-2026-11-25.jsonl")).strip();
        String day4 = Files.readString(dir.resolve("audit-2026-11-27.jsonl")).strip();
        assertThat(JSON.readTree(day2).get("prev").asText()).isEqualTo(sha256(day1));
        assertThat(JSON.readTree(day4).get("prev").asText()).isEqualTo(sha256(day2));
        assertThat(AuditVerifier.verify(dir).ok()).isTrue();
    }

    @Test
    void aLineCutShortByACrashStaysALineOfItsOwnAndTheChainGoesOnFromIt() throws Exception {
        try (AuditLog log = new AuditLog(dir, new SettableClock("2026-11-24T10:00:00Z"))) {
            log.append(entry(1));
        }
        Path file = dir.resolve("audit-2026-11-24.jsonl");
        Files.writeString(file, "{\"time\":\"2026-11-2", java.nio.file.StandardOpenOption.APPEND);
        try (AuditLog log = new AuditLog(dir, new SettableClock("2026-11-24T10:00:01Z"))) {
            log.append(entry(2));
        }
        List<String> lines = Files.readAllLines(file);
        assertThat(lines).hasSize(3);
        assertThat(lines.get(1)).isEqualTo("{\"time\":\"2026-11-2");
        assertThat(JSON.readTree(lines.get(2)).get("prev").asText()).isEqualTo(sha256(lines.get(1)));
        AuditVerifier.Verification verification = AuditVerifier.verify(dir);
        assertThat(verification.broken().line()).isEqualTo(2);
        assertThat(verification.broken().problem()).startsWith("is not an audit entry");
    }

    @Test
    void onlyOneLineJsonObjectsAreAccepted() {
        try (AuditLog log = new AuditLog(dir)) {
            assertThatThrownBy(() -> log.append("[1]")).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> log.append("{\"a\":1}\n{}")).isInstanceOf(IllegalArgumentException.class);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void writersInThisProcessAndAnotherShareOneUnbrokenChain() throws Exception {
        int perWriter = 1000;
        Path start = dir.resolveSibling(dir.getFileName() + "-start");
        Process other = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), AuditWriterProcess.class.getName(),
                dir.toString(), "other", String.valueOf(perWriter), start.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        BufferedReader otherSays = new BufferedReader(new InputStreamReader(other.getInputStream(), StandardCharsets.UTF_8));
        assertThat(otherSays.readLine()).isEqualTo("ready");
        CountDownLatch otherWriting = new CountDownLatch(1);
        ExecutorService threads = Executors.newFixedThreadPool(2);
        // Our writers do half their lines, the other process then starts and says so after its first line,
        // and ours do the rest: the three really write at once, whatever the scheduler does.
        CountDownLatch halfway = new CountDownLatch(2);
        try (AuditLog first = new AuditLog(dir); AuditLog second = new AuditLog(dir)) {
            List<Future<?>> writers = new ArrayList<>();
            for (String name : List.of("first", "second")) {
                AuditLog log = name.equals("first") ? first : second;
                writers.add(threads.submit(() -> {
                    for (int i = 0; i < perWriter; i++) {
                        if (i == perWriter / 2) {
                            halfway.countDown();
                            assertThat(otherWriting.await(60, TimeUnit.SECONDS)).isTrue();
                        }
                        log.append("{\"writer\":\"" + name + "\",\"n\":" + i + "}");
                    }
                    return null;
                }));
            }
            assertThat(halfway.await(60, TimeUnit.SECONDS)).isTrue();
            Files.createFile(start);
            assertThat(otherSays.readLine()).isEqualTo("writing");
            otherWriting.countDown();
            for (Future<?> writer : writers) {
                writer.get(60, TimeUnit.SECONDS);
            }
        } finally {
            threads.shutdown();
        }
        assertThat(other.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(other.exitValue()).isZero();

        AuditVerifier.Verification verification = AuditVerifier.verify(dir);
        assertThat(verification.broken()).isNull();
        assertThat(verification.lines()).isEqualTo(3L * perWriter);
        List<String> writers = new ArrayList<>();
        Set<String> written = new HashSet<>();
        for (Path file : AuditLog.files(dir)) {
            for (String line : Files.readAllLines(file)) {
                JsonNode node = JSON.readTree(line);
                writers.add(node.get("writer").asText());
                written.add(node.get("writer").asText() + "/" + node.get("n").asInt());
            }
        }
        assertThat(written).hasSize(3 * perWriter);
        // The writers really ran at once: the other process's lines are not one block before or after ours.
        assertThat(writers.indexOf("other")).isLessThan(writers.lastIndexOf("first"));
        assertThat(writers.lastIndexOf("other")).isGreaterThan(writers.indexOf("first"));
    }
}
