package io.parhelia.engine.checkpoint;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Walks a workspace without following symlinks, leaving out excluded names, and turns it into a
 * manifest. With a blob store each file's content is stored; without one it is only hashed (for a
 * diff against the live workspace).
 */
public final class WorkspaceScanner {

    private final Set<String> excluded;

    public WorkspaceScanner(Set<String> excluded) {
        this.excluded = Set.copyOf(excluded);
    }

    public Manifest scan(Path workspace, BlobStore blobs) throws IOException {
        Path root = workspace.toRealPath();
        List<ManifestEntry> entries = new ArrayList<>();
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                if (dir.equals(root)) {
                    return FileVisitResult.CONTINUE;
                }
                if (excluded.contains(dir.getFileName().toString())) {
                    return FileVisitResult.SKIP_SUBTREE;
                }
                entries.add(ManifestEntry.dir(relative(root, dir)));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                if (excluded.contains(file.getFileName().toString())) {
                    return FileVisitResult.CONTINUE;
                }
                String path = relative(root, file);
                if (attrs.isSymbolicLink()) {
                    entries.add(ManifestEntry.symlink(path, Files.readSymbolicLink(file).toString()));
                } else if (attrs.isRegularFile()) {
                    boolean executable = Files.isExecutable(file);
                    if (blobs != null) {
                        BlobStore.Stored stored = blobs.put(file);
                        entries.add(ManifestEntry.file(path, executable, stored.size(), stored.sha256()));
                    } else {
                        entries.add(ManifestEntry.file(path, executable, attrs.size(), hash(file)));
                    }
                }
                // Sockets, fifos and devices are not workspace content.
                return FileVisitResult.CONTINUE;
            }
        });
        return new Manifest(entries);
    }

    private static String relative(Path root, Path path) {
        return root.relativize(path).toString().replace(java.io.File.separatorChar, '/');
    }

    private static String hash(Path file) throws IOException {
        var digest = BlobStore.sha256();
        try (var in = Files.newInputStream(file)) {
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
        }
        return java.util.HexFormat.of().formatHex(digest.digest());
    }
}
