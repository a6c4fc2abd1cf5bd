"""Stage-1 data: dataset generation, the compact HDF5 format, the original
LEAPS layout reader and the LightningDataModule."""

from leaps.data.datamodule import DemoBatchCollator, KarelDataModule, build_datamodule
from leaps.data.format import DatasetError, ProgramDataset, read_dataset, write_dataset

__all__ = [
    "DatasetError",
    "DemoBatchCollator",
    "KarelDataModule",
    "ProgramDataset",
    "build_datamodule",
    "read_dataset",
    "write_dataset",
]
