package io.parhelia.engine.audit;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.parhelia.engine.task.EngineException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Searches the audit log newest first. A page ends when it holds {@code limit} entries or when
 * {@code maxScanned} lines have been read, whichever comes first, so a search for something rare
 * stays bounded; its cursor says where the next page resumes.
 */
public final class AuditQuery {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<Map<String, Object>> ENTRY = new TypeReference<>() { };

    private final Path dir;

    public AuditQuery(Path dir) {
        this.dir = dir;
    }

    /** What to look for; a null member matches everything. {@code until} is exclusive. */
    public record Filter(Instant since, Instant until, String kind, String tool, String subject, String outcome,
                         String transport) {

        boolean matches(Map<String, Object> entry) {
            Instant time = Instant.parse((String) entry.get("time"));
            return (since == null || !time.isBefore(since))
                    && (until == null || time.isBefore(until))
                    && (kind == null || kind.equals(entry.get("kind")))
                    && (tool == null || tool.equals(entry.get("tool")))
                    && (subject == null || entry.get("caller") instanceof Map<?, ?> caller && subject.equals(caller.get("subject")))
                    && (outcome == null || outcome.equals(entry.get("outcome")))
                    && (transport == null || transport.equals(entry.get("transport")));
        }
    }

    /**
     * @param entries    the matching entries as written (with {@code prev}), newest first
     * @param scanned    how many lines this page read
     * @param nextCursor where the next page resumes; null when the log has been read to its start
     */
    public record Result(List<Map<String, Object>> entries, long scanned, String nextCursor) {
    }

    public Result find(Filter filter, int limit, String cursor, long maxScanned) throws IOException {
        List<Path> files = AuditLog.files(dir);
        Position start = cursor == null ? newest(files) : Position.parse(cursor, dir);
        List<Map<String, Object>> entries = new ArrayList<>();
        long scanned = 0;
        LocalDate firstDay = filter.since() == null ? null : LocalDate.ofInstant(filter.since(), ZoneOffset.UTC);
        LocalDate lastDay = filter.until() == null ? null : LocalDate.ofInstant(filter.until(), ZoneOffset.UTC);
        for (int i = files.size() - 1; i >= 0 && start != null; i--) {
            Path file = files.get(i);
            String name = file.getFileName().toString();
            int order = name.compareTo(start.file());
            if (order > 0) {
                continue;
            }
            LocalDate day = LocalDate.parse(name.substring("audit-".length(), "audit-".length() + 10));
            if (firstDay != null && day.isBefore(firstDay)) {
                return new Result(entries, scanned, null);
            }
            if (lastDay != null && day.isAfter(lastDay)) {
                continue;
            }
            long end = order == 0 ? start.offset() : Files.size(file);
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
                ReverseLines lines = new ReverseLines(channel, end);
                for (byte[] line = lines.previous(); line != null; line = lines.previous()) {
                    scanned++;
                    Map<String, Object> entry = parse(line);
                    if (entry != null && filter.matches(entry)) {
                        entries.add(entry);
                    }
                    if (entries.size() == limit || scanned == maxScanned) {
                        boolean more = lines.position() > 0 || i > 0;
                        return new Result(entries, scanned, more ? new Position(name, lines.position()).toString() : null);
                    }
                }
            }
        }
        return new Result(entries, scanned, null);
    }

    private static Position newest(List<Path> files) throws IOException {
        if (files.isEmpty()) {
            return null;
        }
        Path last = files.get(files.size() - 1);
        return new Position(last.getFileName().toString(), Files.size(last));
    }

    /** A line that is not an entry (a line being written as we read, or a damaged one) is passed over. */
    private static Map<String, Object> parse(byte[] line) {
        try {
            Map<String, Object> entry = JSON.readValue(line, ENTRY);
            return entry != null && entry.get("time") instanceof String time && parses(time) ? entry : null;
        } catch (IOException e) {
            return null;
        }
    }

    private static boolean parses(String time) {
        try {
            Instant.parse(time);
            return true;
        } catch (DateTimeParseException e) {
            return false;
        }
    }

    /** Where a page resumes: the file, and the offset the next (older) line ends at. */
    private record Position(String file, long offset) {

        static Position parse(String cursor, Path dir) throws IOException {
            int colon = cursor.lastIndexOf(':');
            if (colon > 0 && AuditLog.isLogFile(cursor.substring(0, colon)) && cursor.substring(colon + 1).matches("\\d{1,18}")) {
                Position position = new Position(cursor.substring(0, colon), Long.parseLong(cursor.substring(colon + 1)));
                Path file = dir.resolve(position.file());
                if (Files.isRegularFile(file) && position.offset() <= Files.size(file)) {
                    return position;
                }
            }
            throw EngineException.invalid("cursor", "cursor '" + cursor + "' is not one this tool returned (or its file "
                    + "is gone); pass next_cursor from the previous page, or omit it for the newest entries");
        }

        @Override
        public String toString() {
            return file + ":" + offset;
        }
    }
}
