package io.parhelia.engine.checkpoint;

/**
 * One path of a checkpoint, relative to the workspace with {@code /} separators.
 *
 * @param sha256 the content's blob, for files only
 * @param target where a symlink points, as written in the link; never followed
 */
public record ManifestEntry(String path, Type type, boolean executable, long size, String sha256, String target) {

    public enum Type { FILE, SYMLINK, DIR }

    static ManifestEntry file(String path, boolean executable, long size, String sha256) {
        return new ManifestEntry(path, Type.FILE, executable, size, sha256, null);
    }

    static ManifestEntry symlink(String path, String target) {
        return new ManifestEntry(path, Type.SYMLINK, false, 0, null, target);
    }

    static ManifestEntry dir(String path) {
        return new ManifestEntry(path, Type.DIR, false, 0, null, null);
    }
}
