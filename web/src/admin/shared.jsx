// Small pieces the devices and files views share.
import { useState } from 'preact/hooks';
import { t } from '../common/i18n.js';
import { Modal, errorText } from '../common/ui.jsx';

// The bytes of a device's file; <img>/<video> are authenticated by the vc_access cookie.
export function contentUrl(deviceId, name) {
  return `/api/v1/devices/${encodeURIComponent(deviceId)}/media/${encodeURIComponent(name)}/content`;
}

export function RenameDialog({ title, label, value, onClose, onSave }) {
  const [v, setV] = useState(value);
  const [error, setError] = useState('');
  const submit = async (e) => {
    e.preventDefault();
    try {
      await onSave(v.trim());
      onClose();
    } catch (err) {
      setError(errorText(err));
    }
  };
  return (
    <Modal title={title} onClose={onClose}>
      <form onSubmit={submit}>
        <div class="field">
          <label for="rename-input">{label}</label>
          <input id="rename-input" value={v} onInput={(e) => setV(e.currentTarget.value)} required />
        </div>
        {error && <div class="alert error" role="alert">{error}</div>}
        <div class="actions">
          <button type="button" onClick={onClose}>{t('action.cancel')}</button>
          <button type="submit" class="primary">{t('action.save')}</button>
        </div>
      </form>
    </Modal>
  );
}
