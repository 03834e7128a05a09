package io.parhelia.engine.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Walks the audit log's chain from its first line and reports the first link that does not hold.
 * It reads each file up to the size it had when the walk began, so lines written meanwhile are
 * neither half-read nor counted.
 */
public final class AuditVerifier {

    private static final ObjectMapper JSON = new ObjectMapper();

    private AuditVerifier() {
    }

    /**
     * @param files  how many files were walked
     * @param lines  how many lines, across all files
     * @param head   the hash of the last line (what the next line will link to); record it elsewhere to
     *               detect later removal of lines at the end, which the chain alone cannot show
     * @param broken the first broken link, or null when the whole chain holds
     */
    public record Verification(int files, long lines, String head, Break broken) {
        public boolean ok() {
            return broken == null;
        }
    }

    /**
     * @param line     1-based, within the file
     * @param expected what the line's {@code prev} should be: the hash of the line before it
     * @param found    the line's {@code prev}; null when it has none
     */
    public record Break(String file, long line, String problem, String expected, String found) {
    }

    public static Verification verify(Path dir) throws IOException {
        Map<Path, Long> sizes = AuditLog.snapshot(dir);
        String expected = AuditLog.GENESIS;
        long total = 0;
        String previousFile = null;
        for (Map.Entry<Path, Long> file : sizes.entrySet()) {
            String name = file.getKey().getFileName().toString();
            try (InputStream in = new BufferedInputStream(Files.newInputStream(file.getKey()))) {
                LineSplitter lines = new LineSplitter(in, file.getValue());
                long number = 0;
                for (byte[] line = lines.next(); line != null; line = lines.next()) {
                    number++;
                    total++;
                    if (!lines.lastWasTerminated()) {
                        return broken(sizes, total, name, number, "is cut short (no newline ends it): the file was truncated",
                                expected, null);
                    }
                    String prev = prevOf(line);
                    if (prev == null) {
                        return broken(sizes, total, name, number, "is not an audit entry (a JSON object with prev): it was "
                                + "changed or cut short", expected, null);
                    }
                    if (!prev.equals(expected)) {
                        return broken(sizes, total, name, number, linkProblem(number, previousFile), expected, prev);
                    }
                    expected = AuditLog.sha256(line);
                }
            }
            previousFile = name;
        }
        return new Verification(sizes.size(), total, expected, null);
    }

    private static String linkProblem(long line, String previousFile) {
        String cause = line > 1
                ? "line " + (line - 1) + " was changed, or lines after it were removed"
                : previousFile != null
                ? "the last line of " + previousFile + " was changed, or lines (or whole files) after it were removed"
                : "files before this one were removed";
        return "does not link to the line before it: " + cause + " (or this line's prev was changed)";
    }

    private static Verification broken(Map<Path, Long> sizes, long total, String file, long line, String problem,
                                       String expected, String found) {
        return new Verification(sizes.size(), total, null, new Break(file, line, problem, expected, found));
    }

    private static String prevOf(byte[] line) {
        try {
            JsonNode entry = JSON.readTree(line);
            return entry != null && entry.isObject() && entry.path("prev").isTextual() ? entry.get("prev").asText() : null;
        } catch (IOException e) {
            return null;
        }
    }

    /** Splits the first {@code limit} bytes of a stream into lines. */
    private static final class LineSplitter {
        private final InputStream in;
        private long remaining;
        private boolean terminated;

        LineSplitter(InputStream in, long limit) {
            this.in = in;
            this.remaining = limit;
        }

        byte[] next() throws IOException {
            if (remaining == 0) {
                return null;
            }
            ByteArrayOutputStream line = new ByteArrayOutputStream(512);
            while (remaining > 0) {
                int b = in.read();
                if (b < 0) {
                    throw new IOException("the file shrank while being verified");
                }
                remaining--;
                if (b == '\n') {
                    terminated = true;
                    return line.toByteArray();
                }
                line.write(b);
            }
            terminated = false;
            return line.toByteArray();
        }

        boolean lastWasTerminated() {
            return terminated;
        }
    }
}
