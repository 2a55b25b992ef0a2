package dev.quant4j.model;

/**
 * Field paths as reports, errors and exported state name them: {@code blocks[3].attention.wq}. A
 * top-level field's path is its name; a nested module's fields are prefixed with the module's path.
 */
public final class ModelPaths {
    private ModelPaths() {}

    /** The path of field {@code name} of the module at {@code parent} ({@code ""} for the model itself). */
    public static String child(String parent, String name) {
        return parent.isEmpty() ? name : parent + "." + name;
    }

    /** The path of element {@code index} of the array or list field {@code name}: {@code parent.name[index]}. */
    public static String element(String parent, String name, int index) {
        return child(parent, name) + "[" + index + "]";
    }
}
