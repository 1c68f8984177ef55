/**
 * The timm/torchvision ImageNet input pipeline re-implemented on 8-bit images with PIL semantics:
 * RandomResizedCrop, flip, RandAugment, resize + center crop, ToTensor/Normalize, random erasing, and
 * batch-level Mixup/CutMix. Every random decision draws from the {@code RandomGenerator} passed in,
 * which the loader derives from (seed, epoch, index). {@link dev.dynchan.data.transform.Transforms}
 * builds the train/eval presets from a {@link dev.dynchan.data.transform.TransformConfig}.
 */
package dev.dynchan.data.transform;
