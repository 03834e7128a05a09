package io.parhelia.engine.checkpoint;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Turns a manifest back into files, only after every path and every blob checked out: a restore
 * that would be wrong writes nothing at all.
 */
public final class Restorer {

    private static final int PROBLEMS_SHOWN = 5;

    private final BlobStore blobs;

    public Restorer(BlobStore blobs) {
        this.blobs = blobs;
    }

    /** Every problem that refuses a restore: paths that escape, blobs missing or corrupted. */
    public List<String> problems(Manifest manifest) {
        List<String> problems = new ArrayList<>();
        Map<String, ManifestEntry> byPath = new HashMap<>();
        for (ManifestEntry entry : manifest.entries()) {
            if (byPath.put(entry.path(), entry) != null) {
                problems.add("path '" + entry.path() + "' appears twice in the manifest");
            }
        }
        for (ManifestEntry entry : manifest.entries()) {
            String pathProblem = pathProblem(entry.path());
            if (pathProblem != null) {
                problems.add("path '" + entry.path() + "' " + pathProblem);
                continue;
            }
            String[] parts = entry.path().split("/");
            StringBuilder prefix = new StringBuilder();
            for (int i = 0; i < parts.length - 1; i++) {
                prefix.append(i == 0 ? "" : "/").append(parts[i]);
                ManifestEntry parent = byPath.get(prefix.toString());
                if (parent != null && parent.type() != ManifestEntry.Type.DIR) {
                    problems.add("path '" + entry.path() + "' goes through '" + prefix + "', which is a "
                            + parent.type().name().toLowerCase() + ", not a directory (it could lead outside the workspace)");
                    break;
                }
            }
            switch (entry.type()) {
                case SYMLINK -> {
                    String target = entry.target();
                    if (target == null || target.isEmpty() || target.indexOf('\0') >= 0 || target.startsWith("/")
                            || escapes(parentOf(entry.path()) + target)) {
                        problems.add("symlink '" + entry.path() + "' points to '" + target + "', outside the workspace");
                    }
                }
                case FILE -> {
                    if (entry.sha256() == null || !entry.sha256().matches("[0-9a-f]{64}")) {
                        problems.add("file '" + entry.path() + "' has no valid content hash");
                    } else if (!Files.exists(blobs.path(entry.sha256()))) {
                        problems.add("blob " + entry.sha256() + " of '" + entry.path() + "' is missing");
                    } else if (!blobs.verify(entry.sha256(), entry.size())) {
                        problems.add("blob " + entry.sha256() + " of '" + entry.path() + "' is corrupted (its content no longer matches its hash or size)");
                    }
                }
                case DIR -> { }
            }
        }
        return problems;
    }

    /** Throws with the problems named if there are any. */
    public void verify(Manifest manifest) {
        List<String> problems = problems(manifest);
        if (!problems.isEmpty()) {
            String shown = String.join("; ", problems.subList(0, Math.min(PROBLEMS_SHOWN, problems.size())));
            throw new CheckpointIntegrityException("the checkpoint cannot be restored, nothing was written: " + shown
                    + (problems.size() > PROBLEMS_SHOWN ? " (and " + (problems.size() - PROBLEMS_SHOWN) + " more)" : ""));
        }
    }

    /**
     * Verifies, then writes the tree into {@code target}, which must not exist yet. It is built in a
     * sibling directory and renamed into place, so a failure halfway leaves no target behind.
     */
    public void restore(Manifest manifest, Path target) throws IOException {
        verify(manifest);
        if (Files.exists(target)) {
            throw new IOException(target + " already exists");
        }
        Files.createDirectories(target.getParent());
        Path staging = target.resolveSibling("." + target.getFileName() + "." + UUID.randomUUID() + ".partial");
        Files.createDirectory(staging);
        try {
            for (ManifestEntry entry : manifest.entries()) {
                Path path = staging.resolve(entry.path());
                switch (entry.type()) {
                    case DIR -> Files.createDirectories(path);
                    case FILE -> {
                        Files.createDirectories(path.getParent());
                        Files.copy(blobs.path(entry.sha256()), path, StandardCopyOption.REPLACE_EXISTING);
                        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(
                                entry.executable() ? "rwxr-xr-x" : "rw-r--r--"));
                    }
                    case SYMLINK -> {
                        Files.createDirectories(path.getParent());
                        Files.createSymbolicLink(path, Path.of(entry.target()));
                    }
                }
            }
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            deleteTree(staging);
            throw e;
        }
    }

    static String pathProblem(String path) {
        if (path == null || path.isEmpty()) {
            return "is empty";
        }
        if (path.startsWith("/")) {
            return "is absolute";
        }
        if (path.indexOf('\0') >= 0) {
            return "holds a NUL byte";
        }
        for (String part : path.split("/", -1)) {
            if (part.isEmpty() || part.equals(".") || part.equals("..")) {
                return "has a '" + part + "' component and would escape or confuse the workspace";
            }
        }
        return null;
    }

    private static String parentOf(String path) {
        int slash = path.lastIndexOf('/');
        return slash < 0 ? "" : path.substring(0, slash + 1);
    }

    /** Whether a relative path climbs above the workspace, read lexically. */
    private static boolean escapes(String relative) {
        int depth = 0;
        for (String part : relative.split("/")) {
            if (part.equals("..")) {
                depth--;
                if (depth < 0) {
                    return true;
                }
            } else if (!part.isEmpty() && !part.equals(".")) {
                depth++;
            }
        }
        return false;
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }
}
