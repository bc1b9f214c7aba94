import { t } from '../common/i18n.js';

export default function DevicesView() {
  return <h1>{t('nav.devices')}</h1>;
}
