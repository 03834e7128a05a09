package io.parhelia.engine.audit;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Appends entries to the audit log as one hash chain. Every line is one JSON object whose last
 * member, {@code prev}, is the hex SHA-256 of the line before it (its UTF-8 bytes without the
 * newline); the first line ever links to {@link #GENESIS}. Lines go to {@code audit-YYYY-MM-DD.jsonl}
 * for the UTC day they are written, and a day's first line links to the last line of the newest
 * file before it, so the chain runs through the files in name order.
 *
 * <p>Server processes sharing a home share the chain: each append holds an exclusive lock on
 * {@code .lock} in the directory while it finds the chain's end and writes, so their lines
 * interleave into one chain instead of forking it. A line goes out in one write and is not forced
 * to disk: it survives the process, not a power cut.
 */
public final class AuditLog implements AutoCloseable {

    public static final String GENESIS = "0".repeat(64);

    private static final Pattern FILE_NAME = Pattern.compile("audit-\\d{4}-\\d{2}-\\d{2}\\.jsonl");
    private static final String LOCK_FILE = ".lock";
    /** A FileLock keeps out other processes only; threads of this JVM, whichever AuditLog they use, take this first. */
    private static final ConcurrentMap<Path, Object> JVM_LOCKS = new ConcurrentHashMap<>();

    private final Path dir;
    private final Clock clock;
    private final Object jvmLock;
    private FileChannel lock;
    private Path file;
    private FileChannel out;
    /** Where this log left the chain in {@link #file}: its size then and the hash of its last line. */
    private long end = -1;
    private String endHash;

    public AuditLog(Path dir) {
        this(dir, Clock.systemUTC());
    }

    AuditLog(Path dir, Clock clock) {
        this.dir = dir.toAbsolutePath().normalize();
        this.clock = clock;
        this.jvmLock = jvmLock(this.dir);
    }

    /**
     * Appends an entry, linking it to the chain.
     *
     * @param entry one JSON object on one line, without a {@code prev} member
     */
    public void append(String entry) throws IOException {
        if (!entry.startsWith("{") || !entry.endsWith("}") || entry.indexOf('\n') >= 0) {
            throw new IllegalArgumentException("an audit entry is one JSON object on one line");
        }
        synchronized (jvmLock) {
            try (FileLock ignored = lockChannel().lock()) {
                Path target = target();
                if (!target.equals(file)) {
                    openForAppend(target);
                }
                long size = out.size();
                Tail tail = size == end ? new Tail(endHash, true) : chainEnd(size);
                String line = entry.substring(0, entry.length() - 1) + (entry.length() > 2 ? "," : "")
                        + "\"prev\":\"" + tail.hash() + "\"}";
                byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
                // A line cut short by a crash stays a line of its own (verify reports it) rather than swallowing this one.
                ByteBuffer buffer = ByteBuffer.allocate(bytes.length + 2);
                if (!tail.terminated()) {
                    buffer.put((byte) '\n');
                }
                buffer.put(bytes).put((byte) '\n').flip();
                while (buffer.hasRemaining()) {
                    out.write(buffer);
                }
                end = out.size();
                endHash = sha256(bytes);
            }
        }
    }

    /** Today's file, unless a newer one exists already (a clock set back): the chain only moves forward. */
    private Path target() throws IOException {
        Path today = dir.resolve(fileName(LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC)));
        if (today.equals(file)) {
            return today;
        }
        List<Path> files = files(dir);
        Path newest = files.isEmpty() ? null : files.get(files.size() - 1);
        return newest != null && newest.getFileName().toString().compareTo(today.getFileName().toString()) > 0 ? newest : today;
    }

    private void openForAppend(Path target) throws IOException {
        if (out != null) {
            out.close();
        }
        out = FileChannel.open(target, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        file = target;
        end = -1;
    }

    /** The hash of the chain's last line: in {@link #file} when it has lines, else in the newest file before it. */
    private Tail chainEnd(long size) throws IOException {
        if (size > 0) {
            return lastLine(file, size);
        }
        Path before = null;
        for (Path candidate : files(dir)) {
            if (candidate.getFileName().toString().compareTo(file.getFileName().toString()) < 0 && Files.size(candidate) > 0) {
                before = candidate;
            }
        }
        if (before == null) {
            return new Tail(GENESIS, true);
        }
        Tail last = lastLine(before, Files.size(before));
        // The newline that ends a torn line goes into the file that holds it, not at the top of the new one.
        return new Tail(last.hash(), true);
    }

    /** The hash of the last line of the file's first {@code size} bytes, and whether a newline ends it. */
    private static Tail lastLine(Path path, long size) throws IOException {
        try (FileChannel in = FileChannel.open(path, StandardOpenOption.READ)) {
            ReverseLines lines = new ReverseLines(in, size);
            byte[] last = lines.previous();
            return new Tail(sha256(last), lines.endsWithNewline());
        }
    }

    private FileChannel lockChannel() throws IOException {
        if (lock == null) {
            Files.createDirectories(dir);
            lock = FileChannel.open(dir.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        }
        return lock;
    }

    @Override
    public void close() throws IOException {
        synchronized (jvmLock) {
            if (out != null) {
                out.close();
            }
            if (lock != null) {
                lock.close();
            }
        }
    }

    /**
     * The sizes of the log's files, taken while no line is being written, so that reading each up to
     * its size never sees half a line. Empty when there is no log.
     */
    static Map<Path, Long> snapshot(Path dir) throws IOException {
        Path normalized = dir.toAbsolutePath().normalize();
        Map<Path, Long> sizes = new LinkedHashMap<>();
        if (!Files.isDirectory(normalized)) {
            return sizes;
        }
        synchronized (jvmLock(normalized)) {
            try (FileChannel channel = FileChannel.open(normalized.resolve(LOCK_FILE), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE); FileLock ignored = channel.lock()) {
                for (Path f : files(normalized)) {
                    sizes.put(f, Files.size(f));
                }
            }
        }
        return sizes;
    }

    /** The log's files, oldest first (their names sort by day). */
    static List<Path> files(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.filter(p -> FILE_NAME.matcher(p.getFileName().toString()).matches()).sorted().toList();
        }
    }

    static boolean isLogFile(String name) {
        return FILE_NAME.matcher(name).matches();
    }

    static String fileName(LocalDate day) {
        return "audit-" + day + ".jsonl";
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    private static Object jvmLock(Path dir) {
        return JVM_LOCKS.computeIfAbsent(dir, d -> new Object());
    }

    private record Tail(String hash, boolean terminated) {
    }
}
