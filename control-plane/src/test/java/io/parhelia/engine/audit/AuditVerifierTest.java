package io.parhelia.engine.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The chain shows an edited, a removed or a cut-short line, naming the first line whose link broke. */
class AuditVerifierTest {

    @TempDir
    Path dir;
    Path day1;
    Path day2;

    @BeforeEach
    void tenLinesOverTwoDays() throws Exception {
        AuditLogTest.SettableClock clock = new AuditLogTest.SettableClock("2026-11-24T10:00:00Z");
        try (AuditLog log = new AuditLog(dir, clock)) {
            for (int n = 1; n <= 10; n++) {
                if (n == 7) {
                    clock.now = Instant.parse("2026-11-25T10:00:00Z");
                }
                log.append(AuditLogTest.entry(n));
            }
        }
        day1 = dir.resolve("audit-2026-11-24.jsonl");
        day2 = dir.resolve("audit-2026-11-25.jsonl");
    }

    @Test
    void anUntouchedLogVerifiesWithItsCountsAndHead() throws Exception {
        AuditVerifier.Verification verification = AuditVerifier.verify(dir);
        assertThat(verification.ok()).isTrue();
        assertThat(verification.files()).isEqualTo(2);
        assertThat(verification.lines()).isEqualTo(10);
        assertThat(verification.head()).isEqualTo(AuditLogTest.sha256(Files.readAllLines(day2).get(3)));
        assertThat(AuditVerifier.verify(dir.resolve("nothing-here")).lines()).isZero();
    }

    @Test
    void anEditedLineBreaksTheLinkOfTheLineAfterIt() throws Exception {
        List<String> lines = new ArrayList<>(Files.readAllLines(day1));
        String original = lines.get(3);
        lines.set(3, original.replace("\"outcome\":\"allowed\"", "\"outcome\":\"refused\""));
        assertThat(lines.get(3)).isNotEqualTo(original);
        Files.write(day1, lines);

        AuditVerifier.Break broken = AuditVerifier.verify(dir).broken();
        assertThat(broken.file()).isEqualTo("audit-2026-11-24.jsonl");
        assertThat(broken.line()).isEqualTo(5);
        assertThat(broken.problem()).contains("line 4 was changed");
        assertThat(broken.expected()).isEqualTo(AuditLogTest.sha256(lines.get(3)));
        assertThat(broken.found()).isEqualTo(AuditLogTest.sha256(original));
    }

    @Test
    void aDeletedLineBreaksTheLinkWhereItWas() throws Exception {
        List<String> lines = new ArrayList<>(Files.readAllLines(day1));
        lines.remove(2);
        Files.write(day1, lines);

        AuditVerifier.Break broken = AuditVerifier.verify(dir).broken();
        assertThat(broken.file()).isEqualTo("audit-2026-11-24.jsonl");
        assertThat(broken.line()).isEqualTo(3);
    }

    @Test
    void aFileTruncatedInsideALineIsReportedAtThatLine() throws Exception {
        long lineFiveEnds = 0;
        List<String> lines = Files.readAllLines(day1);
        for (int i = 0; i < 5; i++) {
            lineFiveEnds += lines.get(i).length() + 1;
        }
        try (FileChannel file = FileChannel.open(day1, StandardOpenOption.WRITE)) {
            file.truncate(lineFiveEnds - 20);
        }
        AuditVerifier.Break broken = AuditVerifier.verify(dir).broken();
        assertThat(broken.file()).isEqualTo("audit-2026-11-24.jsonl");
        assertThat(broken.line()).isEqualTo(5);
        assertThat(broken.problem()).contains("cut short");
    }

    @Test
    void aFileTruncatedAtALineEndIsShownByTheNextDaysFirstLine() throws Exception {
        List<String> lines = Files.readAllLines(day1);
        Files.write(day1, lines.subList(0, 4));

        AuditVerifier.Break broken = AuditVerifier.verify(dir).broken();
        assertThat(broken.file()).isEqualTo("audit-2026-11-25.jsonl");
        assertThat(broken.line()).isEqualTo(1);
        assertThat(broken.problem()).contains("the last line of audit-2026-11-24.jsonl was changed");
    }

    @Test
    void aRemovedFirstFileIsShown() throws Exception {
        Files.delete(day1);
        AuditVerifier.Break broken = AuditVerifier.verify(dir).broken();
        assertThat(broken.file()).isEqualTo("audit-2026-11-25.jsonl");
        assertThat(broken.line()).isEqualTo(1);
        assertThat(broken.expected()).isEqualTo(AuditLog.GENESIS);
        assertThat(broken.problem()).contains("files before this one were removed");
    }
}
