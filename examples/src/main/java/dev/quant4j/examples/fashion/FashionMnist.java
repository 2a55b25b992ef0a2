package dev.quant4j.examples.fashion;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Fashion-MNIST (Xiao et al. 2017): 28 x 28 grey images of 10 kinds of clothing, 60,000 for training and
 * 10,000 for testing, as Debian's {@code dataset-fashion-mnist} installs them.
 */
public final class FashionMnist {
    /** Where the Debian package puts the files. */
    public static final Path DEFAULT_DIR = Path.of("/usr/share/datasets/fashion-mnist");

    public static final int SIDE = 28;
    public static final int PIXELS = SIDE * SIDE;
    public static final int CLASSES = 10;
    static final String[] CLASS_NAMES = {
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"
    };

    private FashionMnist() {}

    /** One split: {@code count} images of {@link #PIXELS} bytes each and their labels 0..9. */
    public record Split(String name, byte[] pixels, byte[] labels) {
        public int count() {
            return labels.length;
        }

        /** The first {@code n} examples (all when n >= count). */
        public Split first(int n) {
            if (n >= count()) {
                return this;
            }
            return new Split(name, Arrays.copyOf(pixels, n * PIXELS), Arrays.copyOf(labels, n));
        }
    }

    /** The two splits. */
    public record Data(Split train, Split test) {}

    /** The message that says how to get the data set when {@code dir} lacks it. */
    public static String missingMessage(Path dir) {
        return "Fashion-MNIST is not in " + dir + " (train-images-idx3-ubyte.gz and three more files); install it"
                + " with: sudo apt-get install dataset-fashion-mnist (or pass --data DIR holding the four .gz files)";
    }

    /** True when all four files are in {@code dir}. */
    public static boolean present(Path dir) {
        for (String f : new String[] {
            "train-images-idx3-ubyte.gz",
            "train-labels-idx1-ubyte.gz",
            "t10k-images-idx3-ubyte.gz",
            "t10k-labels-idx1-ubyte.gz"
        }) {
            if (!Files.isRegularFile(dir.resolve(f))) {
                return false;
            }
        }
        return true;
    }

    /**
     * Reads both splits from {@code dir}.
     *
     * @throws java.nio.file.NoSuchFileException with {@link #missingMessage} when a file is missing
     * @throws IdxFormatException naming the file and the offset when one is damaged
     */
    public static Data load(Path dir) throws IOException {
        if (!present(dir)) {
            throw new java.nio.file.NoSuchFileException(dir.toString(), null, missingMessage(dir));
        }
        return new Data(split(dir, "train", "train"), split(dir, "t10k", "test"));
    }

    private static Split split(Path dir, String prefix, String name) throws IOException {
        Path imagesPath = dir.resolve(prefix + "-images-idx3-ubyte.gz");
        Path labelsPath = dir.resolve(prefix + "-labels-idx1-ubyte.gz");
        IdxFile images = IdxFile.read(imagesPath, 3);
        IdxFile labels = IdxFile.read(labelsPath, 1);
        if (images.dims()[1] != SIDE || images.dims()[2] != SIDE) {
            throw new IdxFormatException(imagesPath + ": images are " + images.dims()[1] + " x " + images.dims()[2]
                    + " (byte offsets 8-15), Fashion-MNIST's are 28 x 28");
        }
        if (images.dims()[0] != labels.dims()[0]) {
            throw new IdxFormatException(imagesPath + " holds " + images.dims()[0] + " images but " + labelsPath
                    + " holds " + labels.dims()[0] + " labels (byte offset 4 of each); they must pair up");
        }
        byte[] l = labels.data();
        for (int i = 0; i < l.length; i++) {
            if ((l[i] & 0xFF) >= CLASSES) {
                throw new IdxFormatException(
                        labelsPath + ": label " + (l[i] & 0xFF) + " at byte offset " + (8 + i) + "; labels are 0 to 9");
            }
        }
        return new Split(name, images.data(), l);
    }
}
