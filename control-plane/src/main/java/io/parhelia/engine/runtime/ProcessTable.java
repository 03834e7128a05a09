package io.parhelia.engine.runtime;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What the operating system knows about processes, read from /proc where there is one. Zombies count
 * as gone: where nothing reaps orphans (a container whose init does not), a dead agent stays a
 * zombie forever and would otherwise look alive.
 */
final class ProcessTable {

    /** Start times read twice for the same process agree; this only absorbs rounding between JDKs. */
    private static final Duration START_TIME_TOLERANCE = Duration.ofSeconds(1);
    private static final Path PROC = Path.of("/proc");

    /** One process as /proc/[pid]/stat describes it. */
    record Entry(long pid, char state, long processGroup, long session) {
        boolean isZombie() {
            return state == 'Z' || state == 'X';
        }
    }

    private ProcessTable() {
    }

    static boolean hasProcFilesystem() {
        return Files.isReadable(PROC.resolve("self/stat"));
    }

    static Optional<Instant> startTime(long pid) {
        return ProcessHandle.of(pid).flatMap(handle -> handle.info().startInstant());
    }

    /** Whether pid is a live (not zombie) process that started at startedAt, so it is not a reused pid. */
    static boolean isAlive(long pid, Instant startedAt) {
        Optional<Instant> actualStart = startTime(pid);
        if (actualStart.isEmpty()) {
            return false;
        }
        if (Duration.between(startedAt, actualStart.get()).abs().compareTo(START_TIME_TOLERANCE) > 0) {
            return false;
        }
        Optional<Entry> entry = read(pid);
        if (entry.isPresent()) {
            return !entry.get().isZombie();
        }
        return !hasProcFilesystem() && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    /** Whether pid is alive with a start time other than startedAt: the number now belongs to someone else. */
    static boolean isReused(long pid, Instant startedAt) {
        Optional<Instant> actualStart = startTime(pid);
        return actualStart.isPresent()
                && Duration.between(startedAt, actualStart.get()).abs().compareTo(START_TIME_TOLERANCE) > 0;
    }

    static Optional<Entry> read(long pid) {
        try {
            String stat = Files.readString(PROC.resolve(Long.toString(pid)).resolve("stat"), StandardCharsets.ISO_8859_1);
            return Optional.of(parse(pid, stat));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /**
     * Live processes in process group or session {@code id}: agents may move their children into
     * process groups of their own, but not (without setsid) out of the session.
     */
    static List<Long> liveMembers(long id) throws IOException {
        List<Long> members = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(PROC, path -> isNumeric(path.getFileName().toString()))) {
            for (Path entry : entries) {
                long pid = Long.parseLong(entry.getFileName().toString());
                read(pid).filter(e -> !e.isZombie() && (e.processGroup() == id || e.session() == id))
                        .ifPresent(e -> members.add(e.pid()));
            }
        }
        return members;
    }

    /** The command name may hold spaces and parentheses, so fields are counted from the last ')'. */
    private static Entry parse(long pid, String stat) {
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return new Entry(pid, fields[0].charAt(0), Long.parseLong(fields[2]), Long.parseLong(fields[3]));
    }

    private static boolean isNumeric(String name) {
        if (name.isEmpty()) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            if (!Character.isDigit(name.charAt(i))) {
                return false;
            }
        }
        return true;
    }
}
