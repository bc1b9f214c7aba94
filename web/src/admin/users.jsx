// Filled in by the organisation-admin part of issue 11.
import { t } from '../common/i18n.js';

export default function View() {
  return <h1>{t('nav.users')}</h1>;
}
