"""Your data: upload a CSV of 1D values or 2D points, or a zip of images, see it, and train on it. An upload is
checked before anything is stored and kept as a named data set in the runs folder (both explorer/game/uploads.py);
"Train on this" loads its config into the Train page."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import streamlit as st

from app import config_form, session
from app.navigation import use_st_navigation
from explorer.game import uploads
from explorer.game.config import TrainConfig
from explorer.game.uploads import StoredDataset, UploadError
from explorer.plots.images import image_grid
from explorer.plots.points import points_figure

use_st_navigation()  # first: see app/navigation.py

UPLOAD_KEY = "your_data_upload"
DONE_KEY = "your_data_done"  # file ids already handled: the uploader hands the same file to every rerun
FLASH_KEY = "your_data_flash"  # (kind, message) of the last upload or delete, shown once
SELECT_KEY = "your_data_selected"  # the stored data set shown below the table
CONFIRM_KEY = "your_data_confirm_delete"  # the data set the delete question is about
TO_TRAIN_KEY = "your_data_to_train"  # set by "Train on this" (a callback: no st.switch_page there), acted on once
PREVIEW_IMAGES = 64

LIMITS = (f"**A CSV** (`.csv`): one number per line (1D values) or two separated by a comma (x, y points), an "
          f"optional header line, {uploads.MIN_POINTS} to {uploads.MAX_POINTS:,} rows, at most "
          f"{uploads.MAX_CSV_BYTES // 1024**2} MB, finite numbers only.\n\n"
          f"**A zip of images** (`.zip`): {uploads.MIN_IMAGES} to {uploads.IMAGE_ZIP.members:,} PNG or JPEG "
          f"files, grey or colour, each at most {uploads.MAX_IMAGE_PIXELS // 1024**2} megapixels; at most "
          f"{uploads.IMAGE_ZIP.zip_bytes // 1024**2} MB. They are kept at {uploads.STORE_SIZE}x{uploads.STORE_SIZE} "
          f"(squashed square, as the folder loader does) and train at 32x32 unless the config says otherwise.")


@st.cache_data(max_entries=8, show_spinner=False)
def _points(path: str, mtime: float) -> np.ndarray:  # mtime: a new file of the same name is read again
    return uploads.read_points(path)


@st.cache_data(max_entries=8, show_spinner=False)
def _image_sample(path: str, mtime: float) -> np.ndarray:
    return image_grid(uploads.preview_images(Path(path), PREVIEW_IMAGES), target=480)


def _store(upload) -> None:
    """Check and store an upload once (reruns hand the same file back; its id says so)."""
    done = st.session_state.setdefault(DONE_KEY, set())
    if upload is None or upload.file_id in done:
        return
    done.add(upload.file_id)
    with st.spinner("Checking " + session.as_text(upload.name) + "..."):
        try:
            stored = uploads.store_upload(upload.name, upload.getvalue(), session.registry().runs_dir)
        except UploadError as e:
            st.session_state[FLASH_KEY] = ("error", str(e))
            return
        except OSError as e:  # a full disk: the store removed what it wrote
            st.session_state[FLASH_KEY] = ("error", f"Could not store {upload.name}: {e.strerror or e}. "
                                                    f"Nothing was stored.")
            return
    st.session_state[SELECT_KEY] = stored.name
    st.session_state[FLASH_KEY] = ("success", f"Stored {upload.name} as the data set {stored.name}: "
                                              f"{stored.count:,} {_unit(stored)}.")


def _unit(stored: StoredDataset) -> str:
    return "images" if stored.dataset == "folder" else "values" if stored.dataset == "points1d" else "points"


def _delete(runs_dir: Path, name: str) -> None:
    st.session_state.pop(CONFIRM_KEY, None)
    try:
        uploads.delete_dataset(runs_dir, name)
    except (OSError, ValueError) as e:
        st.session_state[FLASH_KEY] = ("error", f"Could not delete {name}: {e}")
        return
    st.session_state[FLASH_KEY] = ("success", f"Deleted the data set {name}.")


def _train(stored: StoredDataset) -> None:
    """"Train on this": the data set's config into the Train page's form, which the page then opens. A callback,
    not `if st.button(...)`: a page may rerun once before its body (app/navigation.py), losing a click."""
    config_form.set_config(TrainConfig.for_stored(stored))
    session.attach(None)
    st.session_state["no_adopt"] = True
    st.session_state[TO_TRAIN_KEY] = True


def preview(stored: StoredDataset) -> None:
    mtime = stored.path.stat().st_mtime
    try:
        if stored.dataset == "folder":
            st.image(_image_sample(str(stored.path), mtime),
                     caption=f"{min(stored.count, PREVIEW_IMAGES)} of its {stored.count:,} images")
            return
        points = _points(str(stored.path), mtime)
    except (OSError, UploadError) as e:  # changed on disk since it was stored
        st.error(session.as_text(f"{stored.name} cannot be read: {e}"))
        return
    st.plotly_chart(points_figure(points, title=f"{stored.name}: {len(points):,} {_unit(stored)}"),
                    key="your_data_chart", config={"displayModeBar": False})
    note = uploads.scale_note(points)
    if note:
        st.info(note, icon=":material/straighten:")


def stored_sets(runs_dir: Path) -> None:
    found = {d.name: d for d in uploads.list_datasets(runs_dir)}
    st.subheader("Stored data sets")
    if not found:
        st.info("None yet: upload a CSV or a zip above.", icon=":material/info:")
        return
    st.dataframe([{"name": d.name, "kind": d.kind, "rows or images": d.count, "size (MB)": d.size_bytes / 1e6}
                  for d in found.values()], hide_index=True, key="your_data_table",
                 column_config={"size (MB)": st.column_config.NumberColumn(format="%.2f")})
    if st.session_state.get(SELECT_KEY) not in found:
        st.session_state[SELECT_KEY] = next(iter(found))
    stored = found[st.selectbox("Data set", list(found), key=SELECT_KEY)]
    c1, c2, _ = st.columns([1, 1, 3])
    c1.button("Train on this", key="your_data_train", type="primary", width="stretch", on_click=_train,
              args=(stored,), help=f"Loads the recommended settings for {stored.dataset} with this data into the "
                                   "Train page; press Start there.")
    c2.button("Delete", key="your_data_delete", width="stretch",
              on_click=lambda: st.session_state.update({CONFIRM_KEY: stored.name}))
    if st.session_state.get(CONFIRM_KEY) == stored.name:
        st.warning(f"Delete **{stored.name}** ({stored.count:,} {_unit(stored)}, {stored.size_bytes / 1e6:,.2f} MB)? "
                   "Runs trained on it keep their results, but cannot be resumed without it.",
                   icon=":material/delete:")
        d1, d2, _ = st.columns([1, 1, 3])
        d1.button("Delete it", key="your_data_delete_confirm", type="primary", width="stretch", on_click=_delete,
                  args=(runs_dir, stored.name))
        d2.button("Cancel", key="your_data_delete_cancel", width="stretch",
                  on_click=lambda: st.session_state.pop(CONFIRM_KEY, None))
    st.caption(f"Trains as `{stored.dataset}` with `data_root` = `{stored.path.resolve()}`.")
    preview(stored)


def page() -> None:
    if st.session_state.pop(TO_TRAIN_KEY, False):
        st.switch_page(session.TRAIN_PAGE)
    st.title("Your data")
    st.caption("Upload a CSV of 1D values or 2D points, or a zip of images, and train a GAN on it: 1D values get "
               "Figure 1's view, 2D points GAN Lab's, images the sample grid.")
    reg = session.registry()
    with st.expander("What an upload may be", icon=":material/rule:"):
        st.markdown(LIMITS)
    _store(st.file_uploader("Upload a CSV or a zip of images", type=["csv", "zip"], key=UPLOAD_KEY,
                            help="Checked before anything is written; a refused file leaves nothing behind. Kept in "
                                 f"{uploads.DATASETS_FOLDER} in the runs folder, so reloads and other tabs see it."))
    flash = st.session_state.pop(FLASH_KEY, None)
    if flash:
        getattr(st, flash[0])(session.as_text(flash[1]))
    stored_sets(Path(reg.runs_dir))


page()
