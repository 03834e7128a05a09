package io.parhelia.engine.checkpoint;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Content-addressed blobs: {@code <root>/<first two hex>/<sha256>}. A blob is written to a temporary
 * file and renamed into place, so a reader never sees half of one; a blob already present is not
 * written again, only touched, so that garbage collection leaves it to the checkpoint using it.
 */
public final class BlobStore {

    private static final int BUFFER = 1 << 16;

    private final Path root;

    public BlobStore(Path root) {
        this.root = root;
    }

    public Path root() {
        return root;
    }

    public Path path(String sha256) {
        return root.resolve(sha256.substring(0, 2)).resolve(sha256);
    }

    public record Stored(String sha256, long size, boolean added) {
    }

    /** Stores a file's content, streamed; hashes first so that known content is never copied. */
    public Stored put(Path file) throws IOException {
        String sha256;
        long size;
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest digest = sha256();
            byte[] buffer = new byte[BUFFER];
            size = 0;
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
                size += n;
            }
            sha256 = HexFormat.of().formatHex(digest.digest());
        }
        Path target = path(sha256);
        if (touchIfPresent(target)) {
            return new Stored(sha256, size, false);
        }
        Path temp = tempFor(target);
        try (InputStream in = Files.newInputStream(file); OutputStream out = Files.newOutputStream(temp)) {
            MessageDigest digest = sha256();
            byte[] buffer = new byte[BUFFER];
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
                out.write(buffer, 0, n);
            }
            if (!HexFormat.of().formatHex(digest.digest()).equals(sha256)) {
                throw new IOException(file + " changed while it was being checkpointed; try again");
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(temp);
            throw e;
        }
        return new Stored(sha256, size, moveIntoPlace(temp, target));
    }

    public Stored putBytes(byte[] content) throws IOException {
        String sha256 = HexFormat.of().formatHex(sha256().digest(content));
        Path target = path(sha256);
        if (touchIfPresent(target)) {
            return new Stored(sha256, content.length, false);
        }
        Path temp = tempFor(target);
        try {
            Files.write(temp, content);
        } catch (IOException e) {
            Files.deleteIfExists(temp);
            throw e;
        }
        return new Stored(sha256, content.length, moveIntoPlace(temp, target));
    }

    /** A blob's bytes after checking them against their name; for small blobs such as manifests. */
    public byte[] readVerified(String sha256) {
        Path blob = path(sha256);
        try {
            byte[] content = Files.readAllBytes(blob);
            if (!HexFormat.of().formatHex(sha256().digest(content)).equals(sha256)) {
                throw new CheckpointIntegrityException("blob " + sha256 + " is corrupted: its content no longer has that hash");
            }
            return content;
        } catch (java.nio.file.NoSuchFileException e) {
            throw new CheckpointIntegrityException("blob " + sha256 + " is missing from " + root);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Whether the blob is present with exactly this size and hash; streamed. */
    public boolean verify(String sha256, long size) {
        Path blob = path(sha256);
        try (InputStream in = Files.newInputStream(blob)) {
            MessageDigest digest = sha256();
            byte[] buffer = new byte[BUFFER];
            long read = 0;
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
                read += n;
            }
            return read == size && HexFormat.of().formatHex(digest.digest()).equals(sha256);
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Deletes blobs no checkpoint references. Blobs younger than the grace are left: a checkpoint
     * being written (here or in another process sharing the home) may be about to reference them.
     *
     * @return how many blobs were deleted
     */
    public int collectGarbage(Set<String> referenced, Duration grace) throws IOException {
        if (!Files.isDirectory(root)) {
            return 0;
        }
        Instant cutoff = Instant.now().minus(grace);
        int deleted = 0;
        try (Stream<Path> files = Files.walk(root, 2)) {
            for (Path blob : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                String name = blob.getFileName().toString();
                if (name.startsWith(".") || referenced.contains(name)) {
                    if (name.startsWith(".") && Files.getLastModifiedTime(blob).toInstant().isBefore(cutoff)) {
                        Files.deleteIfExists(blob);
                    }
                    continue;
                }
                if (Files.getLastModifiedTime(blob).toInstant().isBefore(cutoff)) {
                    Files.deleteIfExists(blob);
                    deleted++;
                }
            }
        }
        return deleted;
    }

    private static boolean touchIfPresent(Path target) {
        try {
            Files.setLastModifiedTime(target, FileTime.from(Instant.now()));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static Path tempFor(Path target) throws IOException {
        Files.createDirectories(target.getParent());
        return target.resolveSibling("." + target.getFileName() + "." + UUID.randomUUID() + ".tmp");
    }

    /** Renames the temporary file onto its name; returns false when another writer got there first. */
    private static boolean moveIntoPlace(Path temp, Path target) throws IOException {
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
            return true;
        } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException e) {
            Files.deleteIfExists(temp);
            if (Files.exists(target)) {
                return false;
            }
            throw e;
        }
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM has no SHA-256", e);
        }
    }
}
